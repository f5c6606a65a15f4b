// A small MessagePack codec: what the game socket's `courtside.msgpack`
// subprotocol carries (maps, arrays, strings, numbers, booleans, nil).
// Integers that fit 32 bits are packed as integers; other numbers as float64.

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export function encode(value) {
  const out = new Writer();
  write(out, value);
  return out.bytes();
}

export function decode(buffer) {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  const reader = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), at: 0 };
  const value = read(reader);
  if (reader.at !== bytes.length) throw new Error("msgpack: trailing bytes");
  return value;
}

class Writer {
  constructor() { this.buffer = new Uint8Array(64); this.view = new DataView(this.buffer.buffer); this.length = 0; }
  reserve(n) {
    if (this.length + n <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
    grown.set(this.buffer);
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }
  u8(b) { this.reserve(1); this.buffer[this.length++] = b; }
  u16(v) { this.reserve(2); this.view.setUint16(this.length, v); this.length += 2; }
  u32(v) { this.reserve(4); this.view.setUint32(this.length, v); this.length += 4; }
  i32(v) { this.reserve(4); this.view.setInt32(this.length, v); this.length += 4; }
  f64(v) { this.reserve(8); this.view.setFloat64(this.length, v); this.length += 8; }
  raw(bytes) { this.reserve(bytes.length); this.buffer.set(bytes, this.length); this.length += bytes.length; }
  bytes() { return this.buffer.slice(0, this.length); }
}

function write(out, value) {
  if (value === null || value === undefined) return out.u8(0xc0);
  if (value === false) return out.u8(0xc2);
  if (value === true) return out.u8(0xc3);
  if (typeof value === "number") return writeNumber(out, value);
  if (typeof value === "string") return writeString(out, value);
  if (Array.isArray(value)) {
    writeLength(out, value.length, 0x90, 0xdc);
    for (const item of value) write(out, item);
    return;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    writeLength(out, entries.length, 0x80, 0xde);
    for (const [key, item] of entries) { writeString(out, key); write(out, item); }
    return;
  }
  throw new TypeError(`msgpack: cannot encode ${typeof value}`);
}

function writeNumber(out, n) {
  if (Number.isInteger(n) && n >= -0x80000000 && n <= 0xffffffff) {
    if (n >= 0 && n < 0x80) return out.u8(n);
    if (n < 0 && n >= -32) return out.u8(n & 0xff);
    if (n >= 0) { out.u8(0xce); return out.u32(n); }
    out.u8(0xd2); return out.i32(n);
  }
  out.u8(0xcb); out.f64(n);
}

function writeString(out, s) {
  const bytes = textEncoder.encode(s);
  if (bytes.length < 32) out.u8(0xa0 | bytes.length);
  else if (bytes.length < 0x100) { out.u8(0xd9); out.u8(bytes.length); }
  else if (bytes.length < 0x10000) { out.u8(0xda); out.u16(bytes.length); }
  else { out.u8(0xdb); out.u32(bytes.length); }
  out.raw(bytes);
}

function writeLength(out, n, fix, wide16) {
  if (n < 16) out.u8(fix | n);
  else if (n < 0x10000) { out.u8(wide16); out.u16(n); }
  else { out.u8(wide16 + 1); out.u32(n); }
}

function read(r) {
  const b = r.bytes[r.at++];
  if (b === undefined) throw new Error("msgpack: truncated");
  if (b < 0x80) return b;
  if (b >= 0xe0) return b - 0x100;
  if ((b & 0xf0) === 0x80) return readMap(r, b & 0x0f);
  if ((b & 0xf0) === 0x90) return readArray(r, b & 0x0f);
  if ((b & 0xe0) === 0xa0) return readString(r, b & 0x1f);
  const v = r.view;
  const take = (n) => { const at = r.at; r.at += n; if (r.at > r.bytes.length) throw new Error("msgpack: truncated"); return at; };
  switch (b) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xc4: return readBinary(r, v.getUint8(take(1)));
    case 0xc5: return readBinary(r, v.getUint16(take(2)));
    case 0xc6: return readBinary(r, v.getUint32(take(4)));
    case 0xca: return v.getFloat32(take(4));
    case 0xcb: return v.getFloat64(take(8));
    case 0xcc: return v.getUint8(take(1));
    case 0xcd: return v.getUint16(take(2));
    case 0xce: return v.getUint32(take(4));
    case 0xcf: return Number(v.getBigUint64(take(8)));
    case 0xd0: return v.getInt8(take(1));
    case 0xd1: return v.getInt16(take(2));
    case 0xd2: return v.getInt32(take(4));
    case 0xd3: return Number(v.getBigInt64(take(8)));
    case 0xd9: return readString(r, v.getUint8(take(1)));
    case 0xda: return readString(r, v.getUint16(take(2)));
    case 0xdb: return readString(r, v.getUint32(take(4)));
    case 0xdc: return readArray(r, v.getUint16(take(2)));
    case 0xdd: return readArray(r, v.getUint32(take(4)));
    case 0xde: return readMap(r, v.getUint16(take(2)));
    case 0xdf: return readMap(r, v.getUint32(take(4)));
    default: throw new Error(`msgpack: unsupported type 0x${b.toString(16)}`);
  }
}

function readBytes(r, n) {
  if (r.at + n > r.bytes.length) throw new Error("msgpack: truncated");
  const slice = r.bytes.subarray(r.at, r.at + n);
  r.at += n;
  return slice;
}

const readString = (r, n) => textDecoder.decode(readBytes(r, n));
const readBinary = (r, n) => readBytes(r, n).slice();

function readArray(r, n) {
  const items = new Array(n);
  for (let i = 0; i < n; i++) items[i] = read(r);
  return items;
}

function readMap(r, n) {
  const map = {};
  for (let i = 0; i < n; i++) { const key = read(r); map[key] = read(r); }
  return map;
}
