/**
 * PNG (pngjs) and JPEG (jpeg-js) files → HWC float 0–1 with 1 channel (greyscale files) or 3 (colour; alpha
 * dropped, as PIL's convert('RGB') does). Sizes are checked from the header before decoding so a hostile file
 * cannot ask for gigabytes.
 */
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { basename } from 'node:path';
import { clip } from '../quote';
import { datasetError } from './datasetError';
import type { RawImage } from './fitImage';
import { MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE } from './limits';


export function isImageFile(name: string): boolean {
  return /\.(png|jpe?g)$/i.test(name);
}

export function decodeImage(path: string, bytes: Uint8Array): RawImage {
  const name = basename(path);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (buf.length >= 8 && buf.readUInt32BE(0) === 0x89504e47) return decodePng(name, buf);
    if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return decodeJpeg(name, buf);
  } catch (err) {
    if (err instanceof Error && 'userMessage' in err) throw err;
    const kind = buf[0] === 0x89 ? 'PNG' : 'JPEG';
    throw datasetError(`cannot decode image ${path}: truncated or corrupt ${kind} (${clip((err as Error).message, 80)})`, err);
  }
  throw datasetError(`cannot decode image ${path}: it is neither a PNG nor a JPEG file`);
}

function decodePng(name: string, buf: Buffer): RawImage {
  if (buf.length < 33) throw new Error('truncated PNG header');
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  const colorType = buf[25];
  checkSize(name, width, height);
  const png = PNG.sync.read(buf);
  checkDecoded(name, png.width, png.height, png.data.length, 4, width, height);
  const grey = colorType === 0 || colorType === 4;
  return toFloat(png.data, png.width, png.height, 4, grey ? 1 : 3);
}

function decodeJpeg(name: string, buf: Buffer): RawImage {
  const sof = jpegFrame(buf);
  // Without a frame header the size is unknown before decoding: refuse rather than let the decoder guess.
  if (!sof) throw new Error('no start-of-frame segment');
  checkSize(name, sof.width, sof.height);
  const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: 64, maxMemoryUsageInMB: 512, tolerantDecoding: false });
  checkDecoded(name, img.width, img.height, img.data.length, 3, sof.width, sof.height);
  return toFloat(img.data, img.width, img.height, 3, sof.components === 1 ? 1 : 3);
}

function checkSize(name: string, w: number, h: number): void {
  if (w === 0 || h === 0 || w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE || w * h > MAX_IMAGE_PIXELS) {
    throw datasetError(`image ${clip(name)} is ${w}×${h}: outside the sizes we decode (1 to ${MAX_IMAGE_SIDE} pixels a side, at most 64 megapixels)`);
  }
}

/** The decoder's answer must be the image its header described, with as many bytes as that needs. */
function checkDecoded(name: string, w: number, h: number, bytes: number, channels: number, headerW: number, headerH: number): void {
  if (w !== headerW || h !== headerH || bytes < w * h * channels) {
    throw datasetError(`image ${clip(name)} is corrupt: its header says ${headerW}×${headerH} but it decodes to ${w}×${h}`);
  }
}

/** Width, height and component count from a JPEG's start-of-frame segment. */
function jpegFrame(buf: Buffer): { width: number; height: number; components: number } | undefined {
  let o = 2;
  while (o + 9 < buf.length) {
    if (buf[o] !== 0xff) return undefined;
    const marker = buf[o + 1];
    if (marker === 0xff) {
      o++;
      continue;
    }
    const len = buf.readUInt16BE(o + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: buf.readUInt16BE(o + 5), width: buf.readUInt16BE(o + 7), components: buf[o + 9] };
    }
    o += 2 + len;
  }
  return undefined;
}

function toFloat(data: Uint8Array, width: number, height: number, srcC: number, channels: number): RawImage {
  const n = width * height;
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = data[i * srcC + c] / 255;
  return { data: out, height, width, channels };
}
