// Reads an Arrow IPC file or stream with the apache-arrow package and prints
// it as JSON for writers/arrow's TestNodeReaders:
//   {"rows": N, "batches": N, "fields": [{name, type, nullable}],
//    "columns": {name: [value, ...]}}
// Values: null, booleans, numbers and strings as they are; 64-bit integers
// as decimal strings; timestamps and durations as decimal microseconds;
// lists as arrays.
import { readFileSync } from 'node:fs';
import { tableFromIPC, Type } from 'apache-arrow';

const table = tableFromIPC(readFileSync(process.argv[2]));

function value(type, v) {
  if (v === null || v === undefined) return null;
  switch (type.typeId) {
    case Type.Timestamp:
      // apache-arrow gives milliseconds as a float.
      return String(Math.round(v * 1000));
    case Type.List:
      return Array.from(v, (x) => value(type.children[0].type, x));
  }
  if (typeof v === 'bigint') return v.toString();
  return v;
}

const columns = {};
for (const f of table.schema.fields) {
  const col = table.getChild(f.name);
  const vals = [];
  for (let i = 0; i < table.numRows; i++) vals.push(value(f.type, col.get(i)));
  columns[f.name] = vals;
}
console.log(JSON.stringify({
  rows: table.numRows,
  batches: table.batches.length,
  fields: table.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable })),
  columns,
}));
