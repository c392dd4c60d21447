import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { marked, type Token, type Tokens } from 'marked';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** The README is the front page; the reference it links lives in docs/*.md (issue 18). */
const DOCS = readdirSync(path.join(ROOT, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => `docs/${f}`);
const MARKDOWN = ['README.md', ...DOCS];

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

/** Every token, table cells included (marked's own walker). */
function everyToken(tokens: Token[]): Token[] {
  const found: Token[] = [];
  marked.walkTokens(tokens, (t) => void found.push(t));
  return found;
}

/** The text a heading shows: inline markup gone, code spans kept as their text. */
function plainText(tokens: Token[]): string {
  return tokens.map((t) => ('tokens' in t && t.tokens ? plainText(t.tokens) : 'text' in t ? String(t.text) : '')).join('');
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces → `-`, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const t of marked.lexer(markdown)) {
    if (t.type !== 'heading') continue;
    const base = plainText((t as Tokens.Heading).tokens)
      .toLowerCase()
      .trim()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

/** Links and images that stay inside the repository (no scheme), with the file that holds them. */
function relativeLinks(file: string): string[] {
  return everyToken(marked.lexer(read(file)))
    .filter((t): t is Tokens.Link | Tokens.Image => t.type === 'link' || t.type === 'image')
    .map((t) => t.href)
    .filter((href) => !/^[a-z][a-z0-9+.-]*:/i.test(href));
}

describe.each(MARKDOWN)('%s renders as intended', (file) => {
  const text = read(file);
  const tokens = marked.lexer(text);

  it('code fences are balanced: no block swallows the rest of the file', () => {
    const fences = text.split('\n').filter((l) => /^\s*```/.test(l));
    expect(fences.length % 2).toBe(0);
    const code = allTokens(tokens).filter((t): t is Tokens.Code => t.type === 'code');
    expect(code.filter((c) => c.text.includes('```'))).toEqual([]);
  });

  it('every run of `|` lines is one table with a header separator row, and renders as a <table>', () => {
    const runs = tableLikeRuns(text);
    const withoutSeparator = runs.filter((r) => r.rows.length < 2 || !/^\|(\s*:?-{3,}:?\s*\|)+\s*$/.test(r.rows[1]));
    expect(withoutSeparator.map((r) => `line ${r.line}: ${r.rows[0].slice(0, 60)}`)).toEqual([]);

    const tables = allTokens(tokens).filter((t): t is Tokens.Table => t.type === 'table');
    expect(tables).toHaveLength(runs.length);
    // Each table keeps all of its rows (a blank line inside one would split it into table + text).
    expect(tables.map((t) => t.rows.length)).toEqual(runs.map((r) => r.rows.length - 2));
    const html = marked.parse(text, { async: false });
    expect(html.match(/<table>/g) ?? []).toHaveLength(runs.length);
    // No table source leaks into a paragraph as plain text.
    expect(html.match(/<p>[^<]*\|\s*-{3,}/g)).toBeNull();
  });

  it('every relative link points at a file that exists, and its #anchor at a heading of that file', () => {
    const broken = relativeLinks(file).filter((href) => {
      const [target, anchor] = href.split('#');
      const resolved = target === '' ? file : path.join(path.dirname(file), decodeURIComponent(target));
      if (!existsSync(path.join(ROOT, resolved))) return true;
      return anchor !== undefined && (!resolved.endsWith('.md') || !anchors(read(resolved)).has(anchor));
    });
    expect(broken).toEqual([]);
  });
});

describe('README.md is the front page (issue 18)', () => {
  it('has at most 300 lines', () => {
    expect(read('README.md').trimEnd().split('\n').length).toBeLessThanOrEqual(300);
  });

  it('links every file in docs/', () => {
    const linked = new Set(relativeLinks('README.md').map((href) => href.split('#')[0]));
    expect(DOCS.filter((doc) => !linked.has(doc))).toEqual([]);
  });
});

describe('the reference in docs/', () => {
  it('"What each operation needs" in docs/permissions.md is followed by its table, field → scope', () => {
    const tokens = marked.lexer(read('docs/permissions.md'));
    const at = tokens.findIndex((t) => t.type === 'paragraph' && t.raw.startsWith('What each operation needs.'));
    expect(at).toBeGreaterThan(0);
    const table = tokens.slice(at + 1).find((t) => t.type !== 'space') as Tokens.Table;
    expect(table.type).toBe('table');
    expect(table.header.map((h) => h.text)).toEqual(['field', 'scope']);
    expect(table.rows[0].map((c) => c.text)).toEqual(['`viewer`, `permissionCatalog`', 'any authenticated principal']);
    expect(table.rows).toHaveLength(19);
  });

  it('the webhook example in docs/webhooks.md targets a local receiver and starts keygate with WEBHOOKS_ALLOW_PRIVATE=true, which that target needs', () => {
    const doc = read('docs/webhooks.md');
    const [start, end] = [doc.indexOf('# Webhooks'), doc.indexOf('**Events:**')];
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const code = (marked.lexer(doc.slice(start, end)).find((t) => t.type === 'code') as Tokens.Code).text;
    expect(code).toContain('.listen(9000)');
    expect(code).toContain('WEBHOOKS_ALLOW_PRIVATE=true npm start');
    expect(code).toContain('url: \\"http://127.0.0.1:9000/keygate\\"');
  });
});
