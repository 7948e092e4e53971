// Reads Arrow IPC files or streams with the apache-arrow package and prints
// each as one line of JSON, in the order of the arguments, for
// writers/arrow's TestNodeReaders and TestCorpusIndependentReader:
//   {"file": path, "rows": N, "batches": N, "fields": [{name, type, nullable}],
//    "columns": {name: [value, ...]}}
// Values: null, booleans, numbers and strings as they are; 64-bit integers
// as decimal strings; timestamps and durations as decimal microseconds;
// lists as arrays. One process reads any number of files.
import { readFileSync } from 'node:fs';
import { tableFromIPC, Type } from 'apache-arrow';

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

for (const path of process.argv.slice(2)) {
  const table = tableFromIPC(readFileSync(path));
  const columns = {};
  for (const f of table.schema.fields) {
    const col = table.getChild(f.name);
    const vals = [];
    for (let i = 0; i < table.numRows; i++) vals.push(value(f.type, col.get(i)));
    columns[f.name] = vals;
  }
  console.log(JSON.stringify({
    file: path,
    rows: table.numRows,
    batches: table.batches.length,
    fields: table.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable })),
    columns,
  }));
}
