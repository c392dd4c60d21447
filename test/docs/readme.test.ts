import { readFileSync } from 'node:fs';
import path from 'node:path';
import { marked, type Token, type Tokens } from 'marked';

const README = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');

/** Lines outside fenced code blocks that start with `|`, grouped into runs of consecutive lines. */
function tableLikeRuns(markdown: string): { line: number; rows: string[] }[] {
  const runs: { line: number; rows: string[] }[] = [];
  let fence: string | null = null;
  let current: { line: number; rows: string[] } | null = null;
  markdown.split('\n').forEach((text, i) => {
    const opener = /^\s*(`{3,}|~{3,})/.exec(text);
    if (opener) {
      if (fence === null) fence = opener[1];
      else if (opener[1].startsWith(fence)) fence = null;
    }
    if (fence === null && !opener && text.startsWith('|')) {
      if (!current) runs.push((current = { line: i + 1, rows: [] }));
      current.rows.push(text);
    } else current = null;
  });
  return runs;
}

function allTokens(tokens: Token[]): Token[] {
  return tokens.flatMap((t) => [
    t,
    ...allTokens(('tokens' in t && (t.tokens as Token[])) || []),
    ...allTokens(('items' in t && (t.items as Token[])) || []),
  ]);
}

describe('README.md renders as intended', () => {
  const tokens = marked.lexer(README);

  it('code fences are balanced: no block swallows the rest of the file', () => {
    const fences = README.split('\n').filter((l) => /^\s*```/.test(l));
    expect(fences.length % 2).toBe(0);
    const code = allTokens(tokens).filter((t): t is Tokens.Code => t.type === 'code');
    expect(code.filter((c) => c.text.includes('```'))).toEqual([]);
  });

  it('every run of `|` lines is one table with a header separator row, and renders as a <table>', () => {
    const runs = tableLikeRuns(README);
    const withoutSeparator = runs.filter((r) => r.rows.length < 2 || !/^\|(\s*:?-{3,}:?\s*\|)+\s*$/.test(r.rows[1]));
    expect(withoutSeparator.map((r) => `line ${r.line}: ${r.rows[0].slice(0, 60)}`)).toEqual([]);

    const tables = allTokens(tokens).filter((t): t is Tokens.Table => t.type === 'table');
    expect(tables).toHaveLength(runs.length);
    // Each table keeps all of its rows (a blank line inside one would split it into table + text).
    expect(tables.map((t) => t.rows.length)).toEqual(runs.map((r) => r.rows.length - 2));
    const html = marked.parse(README, { async: false });
    expect(html.match(/<table>/g) ?? []).toHaveLength(runs.length);
    // No table source leaks into a paragraph as plain text.
    expect(html.match(/<p>[^<]*\|\s*-{3,}/g)).toBeNull();
  });

  it('"What each operation needs" is followed by its table, field → scope', () => {
    const at = tokens.findIndex((t) => t.type === 'paragraph' && t.raw.startsWith('What each operation needs.'));
    expect(at).toBeGreaterThan(0);
    const table = tokens.slice(at + 1).find((t) => t.type !== 'space') as Tokens.Table;
    expect(table.type).toBe('table');
    expect(table.header.map((h) => h.text)).toEqual(['field', 'scope']);
    expect(table.rows[0].map((c) => c.text)).toEqual(['`viewer`, `permissionCatalog`', 'any authenticated principal']);
    expect(table.rows).toHaveLength(18);
  });

  it('the webhook example targets a local receiver and starts keygate with WEBHOOKS_ALLOW_PRIVATE=true, which that target needs', () => {
    const section = README.slice(README.indexOf('## Webhooks'), README.indexOf('**Events:**'));
    const code = (marked.lexer(section).find((t) => t.type === 'code') as Tokens.Code).text;
    expect(code).toContain('.listen(9000)');
    expect(code).toContain('WEBHOOKS_ALLOW_PRIVATE=true npm start');
    expect(code).toContain('url: \\"http://127.0.0.1:9000/keygate\\"');
  });
});
