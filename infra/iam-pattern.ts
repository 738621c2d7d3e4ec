/**
 * IAM's wildcards in an action or a resource: `*` any run of characters, `?`
 * one character (IAM User Guide, "IAM JSON policy elements: Resource").
 * Actions compare case-insensitively, resources exactly. No dependencies: the
 * local runtime's IAM uses it at start-up.
 */
export function matchesIamPattern(pattern: string, value: string, kind: 'action' | 'resource' = 'resource'): boolean {
  if (!/[*?]/.test(pattern)) return kind === 'action' ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, kind === 'action' ? 'i' : '').test(value);
}
