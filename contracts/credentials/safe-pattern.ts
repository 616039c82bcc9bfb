/**
 * Whether a regular expression from a peer (a presentation definition's filter, a credential schema's
 * pattern) could backtrack catastrophically: a quantified group that itself holds a quantifier, as in
 * `(a+)+`. JavaScript's engine backtracks, and such a pattern against a crafted string runs for minutes.
 */
export const nestsQuantifiers = (pattern: string): boolean => /\([^)]*[+*][^)]*\)[+*{]/.test(pattern);
