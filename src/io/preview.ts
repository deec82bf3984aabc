/**
 * Showing a value read from an untrusted file in an error message. JSON.stringify would do, but
 * it recurses (a file nesting arrays 10,000 deep overflows the stack) and copies a megabyte
 * string whole; a preview stops after `limit` characters whatever the value.
 */

/** The value as JSON, cut to about `limit` characters (with '…' when cut). */
export function previewJson(value: unknown, limit = 80): string {
  let out = '';
  // Each call writes at least one character before going deeper, so recursion stops within `limit` levels.
  const write = (text: string): boolean => {
    out += text;
    return out.length <= limit;
  };
  const visit = (item: unknown): boolean => {
    if (Array.isArray(item)) {
      if (!write('[')) return false;
      for (let i = 0; i < item.length; i++) if ((i > 0 && !write(',')) || !visit(item[i])) return false;
      return write(']');
    }
    if (typeof item === 'object' && item !== null) {
      if (!write('{')) return false;
      let first = true;
      for (const key in item) {
        if (!Object.hasOwn(item, key)) continue;
        if ((!first && !write(',')) || !write(`${JSON.stringify(key.slice(0, limit))}:`) || !visit((item as Record<string, unknown>)[key])) return false;
        first = false;
      }
      return write('}');
    }
    if (typeof item === 'string') return write(JSON.stringify(item.slice(0, limit + 1)));
    return write(JSON.stringify(item) ?? String(item));
  };
  return visit(value) && out.length <= limit ? out : `${out.slice(0, limit)}…`;
}
