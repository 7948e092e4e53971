// Reads Parquet files with the hyparquet package and prints each as one line
// of JSON, in the order of the arguments, for writers/arrow's
// TestNodeReaders and TestCorpusIndependentReader:
//   {"file": path, "rows": N, "rowGroups": N,
//    "fields": [{name, type, logical, repetition}],
//    "keyValue": {key: value}, "columns": {name: [value, ...]}}
// Values as read_arrow.mjs prints them (timestamps as decimal microseconds).
// One process reads any number of files.
import { readFileSync } from 'node:fs';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';

function value(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(value);
  if (typeof v === 'object' && 'us' in v) return v.us;
  return v;
}

for (const path of process.argv.slice(2)) {
  const buf = readFileSync(path);
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const md = parquetMetadata(file);
  const rows = await parquetReadObjects({
    file,
    // Keep the microseconds rather than a millisecond Date.
    parsers: { timestampFromMicroseconds: (us) => ({ us: us.toString() }) },
  });

  // Top-level columns: the schema elements right under the root.
  const top = [];
  for (let i = 1, skip = 0; i < md.schema.length; i++) {
    const s = md.schema[i];
    if (skip > 0) {
      skip += (s.num_children || 0) - 1;
      continue;
    }
    top.push(s);
    skip = s.num_children || 0;
  }
  const columns = {};
  for (const s of top) columns[s.name] = rows.map((r) => value(r[s.name]));
  console.log(JSON.stringify({
    file: path,
    rows: Number(md.num_rows),
    rowGroups: md.row_groups.length,
    fields: top.map((s) => ({ name: s.name, type: s.type || 'group', logical: s.logical_type?.type || '', repetition: s.repetition_type })),
    keyValue: Object.fromEntries((md.key_value_metadata || []).map((kv) => [kv.key, kv.value])),
    columns,
  }));
}
