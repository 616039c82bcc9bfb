// The small surface of the Digital Bazaar credential libraries this project uses (they ship no types).

declare module '@digitalbazaar/vc' {
  type Loader = (url: string) => Promise<{ contextUrl: string | null; documentUrl: string; document: unknown }>;
  export interface VerifyResult {
    verified: boolean;
    error?: Error & { errors?: Error[] };
    results?: { verified: boolean; error?: Error; proof?: unknown }[];
    presentationResult?: VerifyResult;
    credentialResults?: (VerifyResult & { credentialId?: string })[];
  }
  export function issue(options: { credential: object; suite: unknown; documentLoader: Loader; now?: Date }): Promise<any>;
  export function verifyCredential(options: {
    credential: object;
    suite: unknown;
    documentLoader: Loader;
    checkStatus?: (options: { credential: any }) => Promise<{ verified: boolean; error?: Error }>;
    now?: Date;
  }): Promise<VerifyResult>;
  export function createPresentation(options: { verifiableCredential?: object[]; holder?: string; id?: string; version?: 1 | 2 }): any;
  export function signPresentation(options: { presentation: object; suite: unknown; documentLoader: Loader; challenge: string; domain?: string }): Promise<any>;
  export function verify(options: {
    presentation: object;
    suite: unknown;
    documentLoader: Loader;
    challenge: string;
    domain?: string;
    unsignedPresentation?: boolean;
    checkStatus?: (options: { credential: any }) => Promise<{ verified: boolean; error?: Error }>;
    now?: Date;
  }): Promise<VerifyResult>;
}

declare module '@digitalbazaar/data-integrity' {
  export interface ProofVerification {
    verified: boolean;
    error?: Error;
  }
  export class DataIntegrityProof {
    constructor(options: { signer?: unknown; cryptosuite: unknown; date?: Date | string });
    /** Verifies one proof of `proofSet` over `document` (which the caller has stripped of its proofs). */
    verifyProof(options: { proof: Record<string, unknown>; proofSet: Record<string, unknown>[]; document: unknown; documentLoader: unknown }): Promise<ProofVerification>;
  }
}

declare module '@digitalbazaar/eddsa-rdfc-2022-cryptosuite' {
  export const cryptosuite: unknown;
}

declare module '@digitalbazaar/ed25519-multikey' {
  export interface Ed25519KeyPair {
    id: string;
    controller: string;
    publicKeyMultibase: string;
    signer(): { algorithm: string; id: string; sign(options: { data: Uint8Array }): Promise<Uint8Array> };
    verifier(): { algorithm: string; id: string; verify(options: { data: Uint8Array; signature: Uint8Array }): Promise<boolean> };
  }
  export function from(key: { id?: string; controller?: string; type?: string; publicKeyMultibase: string; secretKeyMultibase?: string }): Promise<Ed25519KeyPair>;
}

declare module 'jsonld-signatures' {
  interface ProofPurpose {}
  const jsigs: {
    purposes: {
      AuthenticationProofPurpose: new (options: { challenge: string; domain?: string; controller?: object }) => ProofPurpose;
      AssertionProofPurpose: new () => ProofPurpose;
    };
    verify(
      document: object,
      options: { suite: unknown; purpose: ProofPurpose; documentLoader: unknown },
    ): Promise<{ verified: boolean; error?: Error & { errors?: Error[] }; results?: { verified: boolean; proof?: { verificationMethod?: string } }[] }>;
    sign(document: object, options: { suite: unknown; purpose: ProofPurpose; documentLoader: unknown }): Promise<object>;
  };
  export default jsigs;
}

declare module '@digitalbazaar/eddsa-jcs-2022-cryptosuite' {
  export function createSignCryptosuite(): unknown;
  export function createVerifyCryptosuite(): unknown;
}
