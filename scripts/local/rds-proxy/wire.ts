/**
 * Just enough of the PostgreSQL frontend/backend protocol (v3) for the RDS
 * Proxy emulator: frame splitting, the startup packet, and the few messages it
 * writes itself (https://www.postgresql.org/docs/current/protocol-message-formats.html).
 */

/** Request codes of untyped first packets. */
export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;

export interface Frame {
  /** Message type byte ('Q', 'P', 'Z', …). */
  readonly type: string;
  /** The whole message: type byte, length and body. */
  readonly bytes: Buffer;
  /** The body after the length. */
  readonly body: Buffer;
}

/** Splits a byte stream of typed messages into frames. */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buffer.length >= 5) {
      const length = this.buffer.readInt32BE(1);
      if (length < 4) throw new Error(`invalid message length ${length}`);
      if (this.buffer.length < 1 + length) break;
      const bytes = this.buffer.subarray(0, 1 + length);
      frames.push({ type: String.fromCharCode(bytes[0]!), bytes, body: bytes.subarray(5) });
      this.buffer = this.buffer.subarray(1 + length);
    }
    return frames;
  }
}

/** Reads one untyped packet (length-prefixed, no type byte) from a byte stream. */
export class PacketReader {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer | undefined {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    if (this.buffer.length < 4) return undefined;
    const length = this.buffer.readInt32BE(0);
    if (length < 8 || length > 10_000) throw new Error(`invalid startup packet length ${length}`);
    if (this.buffer.length < length) return undefined;
    const packet = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return packet;
  }

  /** Bytes received after the packet (a client may pipeline). */
  rest(): Buffer {
    return this.buffer;
  }
}

/** The parameters of a StartupMessage (after length and protocol version). */
export function startupParameters(packet: Buffer): Map<string, string> {
  const params = new Map<string, string>();
  const fields = packet.subarray(8).toString('utf8').split('\0');
  for (let i = 0; i + 1 < fields.length && fields[i] !== ''; i += 2) params.set(fields[i]!, fields[i + 1]!);
  return params;
}

/** A typed message: type byte, int32 length, body. */
export function message(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

const cstring = (text: string) => Buffer.from(`${text}\0`, 'utf8');

/** An ErrorResponse (severity FATAL unless given). */
export function errorResponse(code: string, text: string, severity = 'FATAL'): Buffer {
  return message(
    'E',
    Buffer.concat([cstring(`S${severity}`), cstring(`V${severity}`), cstring(`C${code}`), cstring(`M${text}`), Buffer.from([0])]),
  );
}

/** AuthenticationRequest with `code` (0 ok, 3 cleartext password, …) and optional data. */
export function authentication(code: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const body = Buffer.alloc(4);
  body.writeInt32BE(code, 0);
  return message('R', Buffer.concat([body, data]));
}

/** A StartupMessage for protocol 3.0 with `params`. */
export function startupMessage(params: ReadonlyMap<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of params) parts.push(cstring(k), cstring(v));
  parts.push(Buffer.from([0]));
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length, 0);
  head.writeInt32BE(PROTOCOL_3_0, 4);
  return Buffer.concat([head, body]);
}

/** The text of a cleartext PasswordMessage ('p'). */
export function passwordOf(frame: Frame): string {
  const end = frame.body.indexOf(0);
  return frame.body.subarray(0, end === -1 ? frame.body.length : end).toString('utf8');
}

/** SQLSTATE and message of an ErrorResponse body. */
export function errorFields(body: Buffer): { code?: string; message?: string } {
  const out: { code?: string; message?: string } = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const type = String.fromCharCode(body[i]!);
    const end = body.indexOf(0, i + 1);
    const value = body.subarray(i + 1, end).toString('utf8');
    if (type === 'C') out.code = value;
    if (type === 'M') out.message = value;
    i = end + 1;
  }
  return out;
}
