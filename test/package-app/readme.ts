// The first ```ts block of a README section, so the package test runs exactly what the README shows.

export function readmeBlock(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no section "## ${heading}"`);
  const block = /```ts\n([\s\S]*?)```/.exec(markdown.slice(start));
  if (!block) throw new Error(`README section "${heading}" has no ts code block`);
  return block[1]!;
}
