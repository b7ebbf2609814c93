// SQL as templates: sql`... ${value} ...` binds `value` as a `?` parameter; a nested sql``
// fragment is spliced in with its own parameters, in order. So the stitching statements can be
// composed from named parts (who may be joined, which links count) without numbering `?NN` by
// hand. Ten lines, so written here rather than added as a dependency.
export class Sql {
  constructor(text, values) {
    this.text = text;
    this.values = values;
  }
}

export function sql(strings, ...values) {
  let text = strings[0];
  const binds = [];
  values.forEach((v, i) => {
    if (v instanceof Sql) {
      text += v.text;
      binds.push(...v.values);
    } else {
      text += "?";
      binds.push(v === undefined ? null : v);
    }
    text += strings[i + 1];
  });
  return new Sql(text, binds);
}

/** Fragments joined by `separator` (e.g. " OR "). */
export function join(parts, separator) {
  return parts.reduce((acc, part, i) => (i === 0 ? part : sql`${acc}${new Sql(separator, [])}${part}`), sql``);
}

/** A D1 prepared statement for a fragment. */
export const prepare = (db, q) => db.prepare(q.text).bind(...q.values);
