/**
 * Strings an attacker would try where a client's text might become code, markup, SQL, a path or a
 * log line. The fuzzer draws literal and variable strings from here (and mixes them with plain
 * and random text); the regression tests name the ones that once did harm.
 */

/** graphql-jit 0.8.9's public markers (execution.js): its code generator rewrites strings that hold them. */
export const JIT_MARKERS = {
  date: '__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d',
  nan: '__MAGIC_NAN__57f286b9_4c20_487f_b409_79804ddcb4f8',
  plusInfinity: '__MAGIC_PLUS_INFINITY__bb201c39_3333_4695_b4ad_7f1722e7aa7a',
  minusInfinity: '__MAGIC_MINUS_INFINITY__71d4310a_d4a3_4a05_b1fe_e60779d24998',
} as const;

/**
 * JavaScript that, were it ever run by the server, leaves evidence the fuzzer looks for: it writes
 * `markerPath` and opens a connection to `canaryPort` on loopback. Nothing legitimate does either.
 */
export function sideEffectCode(markerPath: string, canaryPort: number): string {
  return (
    `(process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(markerPath)}, 'ran'),` +
    `process.getBuiltinModule('net').connect(${canaryPort}, '127.0.0.1').on('error', () => 0))`
  );
}

/** The corpus, for a run whose marker file and canary port are known. */
export function hostileStrings(markerPath: string, canaryPort: number): string[] {
  const code = sideEffectCode(markerPath, canaryPort);
  return [
    // Code generators: graphql-jit's markers, then the ways out of a JavaScript string.
    `${JIT_MARKERS.date}0||${code}`,
    `${JIT_MARKERS.date}0);${code};(`,
    `${JIT_MARKERS.date}${code}`,
    JIT_MARKERS.nan,
    JIT_MARKERS.plusInfinity,
    JIT_MARKERS.minusInfinity,
    `${JIT_MARKERS.nan}"`,
    `"+${code}+"`,
    `'+${code}+'`,
    `\`+${code}+\``,
    `\${${code}}`,
    `*/${code}/*`,
    `\\";${code}//`,
    `\u2028${code}\u2029`,
    // Markup and the console: a string that closes a script or opens a tag.
    '</script><script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    'javascript:alert(1)',
    // SQL, paths, shells, logs.
    "'; DROP TABLE api_keys; --",
    "' OR '1'='1",
    '$1',
    '%s%s%s%n',
    '../../../../etc/passwd',
    '$(touch /tmp/x)',
    'line\nbreak\r\nforged: log line',
    '\u001b[31mred\u001b[0m',
    // Text PostgreSQL cannot store, and text that is hard to store right.
    'nul\u0000byte',
    'lone \ud800 surrogate',
    '\udfff',
    '😀 astral',
    'e\u0301 combining',
    '\u202eRTL override',
    '\ufeffBOM',
    // Shapes: empty, blank, long, and prototype names.
    '',
    ' ',
    'x'.repeat(300),
    'y'.repeat(70_000),
    '__proto__',
    'constructor',
    'toString',
    // Values that look like other types.
    '00000000-0000-4000-8000-000000000000',
    '2026-13-45T99:99:99Z',
    '1e999',
    'NaN',
    'null',
    'true',
    '{"a":1}',
  ];
}
