import { crc32 } from 'node:zlib';

/**
 * On-disk framing shared by the log and the snapshot: `u32 length | u32 crc32 | payload` (little
 * endian), the payload being UTF-8 JSON. A frame that is short, has length 0 (a zero-filled tail
 * left by a crash while the file grew) or fails its checksum ends the valid part of a file.
 */
export const FRAME_HEADER_BYTES = 8;

export function encodeFrame(payload: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32LE(body.length, 0);
  frame.writeUInt32LE(crc32(body), 4);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

export interface DecodedFrames {
  /** Payload bytes of every intact frame, in file order. */
  bodies: Buffer[];
  /** Bytes from the start of the file that hold intact frames. */
  validLength: number;
}

/** Reads frames until the end or the first damaged one; what follows a damaged frame is ignored. */
export function decodeFrames(data: Buffer): DecodedFrames {
  const bodies: Buffer[] = [];
  let offset = 0;
  while (offset + FRAME_HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(offset);
    const checksum = data.readUInt32LE(offset + 4);
    const start = offset + FRAME_HEADER_BYTES;
    if (length === 0 || start + length > data.length) break;
    const body = data.subarray(start, start + length);
    if (crc32(body) !== checksum) break;
    bodies.push(body);
    offset = start + length;
  }
  return { bodies, validLength: offset };
}
