// pointer.js: maps a validator diagnostic's JSON-pointer location to a line
// of the editor's text.  JSON.parse forgets positions, so a small scanner
// records where each value starts while it walks the text.

function scan(text) {
  const at = new Map(); // pointer -> offset of the member's key or the item
  let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const str = () => {
    let s = '';
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') { s += JSON.parse(`"${text.slice(i, text[i + 1] === 'u' ? i + 6 : i + 2)}"`); i += text[i + 1] === 'u' ? 6 : 2; } else s += text[i++];
    }
    i++;
    return s;
  };
  const esc = (k) => k.replace(/~/g, '~0').replace(/\//g, '~1');
  const value = (ptr) => {
    ws();
    if (text[i] === '{') {
      i++; ws();
      while (i < text.length && text[i] !== '}') {
        ws();
        const keyAt = i;
        const k = str();
        at.set(`${ptr}/${esc(k)}`, keyAt);
        ws(); i++; // ':'
        value(`${ptr}/${esc(k)}`);
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (text[i] === '[') {
      i++; ws();
      let n = 0;
      while (i < text.length && text[i] !== ']') {
        ws();
        at.set(`${ptr}/${n}`, i);
        value(`${ptr}/${n++}`);
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (text[i] === '"') str();
    else { const s = i; while (i < text.length && !/[\s,\]}]/.test(text[i])) i++; if (i === s) throw new Error('bad json'); }
  };
  try { value(''); } catch { /* a partial map is still useful */ }
  return at;
}

const lineOf = (text, off) => text.slice(0, off).split('\n').length;

/**
 * The 1-based line of `text` that a diagnostic points at: its JSON pointer
 * (or the nearest existing ancestor), or for invalid JSON the
 * "(line L, column C)" in its message.
 */
export function diagnosticLine(text, location, message) {
  const m = /line (\d+), column \d+/.exec(message || '');
  if ((!location || location === '/') && m) return Number(m[1]);
  const at = scan(text);
  let p = location || '';
  while (p) {
    if (at.has(p)) return lineOf(text, at.get(p));
    p = p.slice(0, p.lastIndexOf('/'));
  }
  return 1;
}
