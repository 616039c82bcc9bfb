/**
 * DCP scopes name what a verifier may read from a holder's credential service:
 * `org.eclipse.dspace.dcp.vc.type:<CredentialType>:read`.
 */
const PREFIX = 'org.eclipse.dspace.dcp.vc.type:';

export function scopeForType(type: string): string {
  return `${PREFIX}${type}:read`;
}

/** The credential type a scope grants reading, or undefined when the scope is not of that form. */
export function typeOfScope(scope: string): string | undefined {
  const match = /^org\.eclipse\.dspace\.dcp\.vc\.type:([A-Za-z0-9_.-]+):read$/.exec(scope);
  return match?.[1];
}
