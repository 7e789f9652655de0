/**
 * Bring one image (HWC, float 0–1) to a model's input geometry the way timm's eval transform does:
 * convert channels (grey↔RGB), resize the short side to floor(size / cropPct) (each side, for a non-square size),
 * then centre-crop `size`. Resampling follows Pillow's separable filters (triangle for bilinear, a = −0.5 cubic for
 * bicubic, with the support widened when shrinking, i.e. antialiased), computed in float32 rather than Pillow's
 * 8-bit intermediate, so results agree with Pillow to about 1/255.
 */
import { datasetError } from './datasetError';
import { MAX_RESIZED_PIXELS } from './limits';

export interface ImageGeometry {
  size: [number, number];
  channels: number;
  cropPct?: number;
  interpolation?: 'bilinear' | 'bicubic' | 'nearest';
}

export interface RawImage {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/** `label` names the image in the error a degenerate or extremely elongated image gets. */
export function fitImage(img: RawImage, g: ImageGeometry, label = 'an image'): Float32Array {
  if (!(img.height >= 1 && img.width >= 1) || img.data.length < img.height * img.width * img.channels) {
    throw datasetError(`${label} has no pixels (${img.width}×${img.height}); it cannot be resized`);
  }
  const conv = convertChannels(img, g.channels);
  const [th, tw] = g.size;
  const cropPct = g.cropPct ?? 0.875;
  let rh: number;
  let rw: number;
  if (th === tw) {
    const s = Math.floor(th / cropPct);
    if (conv.height <= conv.width) {
      rh = s;
      rw = Math.floor((s * conv.width) / conv.height);
    } else {
      rw = s;
      rh = Math.floor((s * conv.height) / conv.width);
    }
  } else {
    rh = Math.floor(th / cropPct);
    rw = Math.floor(tw / cropPct);
  }
  if (!(rh >= 1 && rw >= 1 && rh * rw <= MAX_RESIZED_PIXELS)) {
    throw datasetError(`${label} is ${img.width}×${img.height}: too elongated to resize to ${tw}×${th} (the resized image before the crop would be ${rw}×${rh})`);
  }
  const resized = resize(conv, rh, rw, g.interpolation ?? 'bilinear');
  return centreCrop(resized, th, tw);
}

export function convertChannels(img: RawImage, channels: number): RawImage {
  if (img.channels === channels) return img;
  const n = img.height * img.width;
  const out = new Float32Array(n * channels);
  const src = img.data;
  const c = img.channels;
  for (let i = 0; i < n; i++) {
    let r: number;
    let gr: number;
    let b: number;
    if (c >= 3) {
      r = src[i * c];
      gr = src[i * c + 1];
      b = src[i * c + 2];
    } else {
      r = gr = b = src[i * c];
    }
    if (channels === 1) {
      out[i] = c >= 3 ? (r * 299 + gr * 587 + b * 114) / 1000 : r; // Pillow's 'L' conversion (ITU-R 601-2 luma)
    } else {
      for (let k = 0; k < channels; k++) out[i * channels + k] = k === 0 ? r : k === 1 ? gr : b;
    }
  }
  return { data: out, height: img.height, width: img.width, channels };
}

type Filter = { support: number; f: (x: number) => number };

const FILTERS: Record<'bilinear' | 'bicubic', Filter> = {
  bilinear: { support: 1, f: (x) => (x < 0 ? -x : x) < 1 ? 1 - (x < 0 ? -x : x) : 0 },
  bicubic: {
    support: 2,
    f: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
};

/** Resize HWC float image to (oh, ow). */
export function resize(img: RawImage, oh: number, ow: number, mode: 'bilinear' | 'bicubic' | 'nearest'): RawImage {
  if (oh === img.height && ow === img.width) return img;
  if (mode === 'nearest') return resizeNearest(img, oh, ow);
  const f = FILTERS[mode];
  const horiz = resample1d(img.data, img.height, img.width, img.channels, ow, f, 'x');
  const both = resample1d(horiz, img.height, ow, img.channels, oh, f, 'y');
  return { data: both, height: oh, width: ow, channels: img.channels };
}

function weightsFor(inSize: number, outSize: number, filter: Filter): { min: Int32Array; len: Int32Array; w: Float32Array[] } {
  const scale = inSize / outSize;
  const fs = Math.max(scale, 1);
  const support = filter.support * fs;
  const min = new Int32Array(outSize);
  const len = new Int32Array(outSize);
  const w: Float32Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize);
    const ww = new Float32Array(Math.max(hi - lo, 0));
    let sum = 0;
    for (let k = 0; k < ww.length; k++) {
      ww[k] = filter.f((k + lo - centre + 0.5) / fs);
      sum += ww[k];
    }
    if (sum !== 0) for (let k = 0; k < ww.length; k++) ww[k] /= sum;
    min[o] = lo;
    len[o] = ww.length;
    w.push(ww);
  }
  return { min, len, w };
}

function resample1d(src: Float32Array, h: number, w: number, c: number, out: number, filter: Filter, axis: 'x' | 'y'): Float32Array {
  const inSize = axis === 'x' ? w : h;
  const { min, len, w: weights } = weightsFor(inSize, out, filter);
  const oh = axis === 'x' ? h : out;
  const ow = axis === 'x' ? out : w;
  const dst = new Float32Array(oh * ow * c);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const o = axis === 'x' ? x : y;
      const ww = weights[o];
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < len[o]; k++) {
          const s = min[o] + k;
          const idx = axis === 'x' ? (y * w + s) * c + ch : (s * w + x) * c + ch;
          acc += ww[k] * src[idx];
        }
        dst[(y * ow + x) * c + ch] = acc < 0 ? 0 : acc > 1 ? 1 : acc;
      }
    }
  }
  return dst;
}

function resizeNearest(img: RawImage, oh: number, ow: number): RawImage {
  const c = img.channels;
  const out = new Float32Array(oh * ow * c);
  for (let y = 0; y < oh; y++) {
    const sy = Math.min(Math.floor(((y + 0.5) * img.height) / oh), img.height - 1);
    for (let x = 0; x < ow; x++) {
      const sx = Math.min(Math.floor(((x + 0.5) * img.width) / ow), img.width - 1);
      for (let ch = 0; ch < c; ch++) out[(y * ow + x) * c + ch] = img.data[(sy * img.width + sx) * c + ch];
    }
  }
  return { data: out, height: oh, width: ow, channels: c };
}

/** torchvision CenterCrop: offsets round((in − out) / 2) half to even; zero padding where the crop is larger. */
export function centreCrop(img: RawImage, th: number, tw: number): Float32Array {
  const c = img.channels;
  const top = roundHalfEven((img.height - th) / 2);
  const left = roundHalfEven((img.width - tw) / 2);
  const out = new Float32Array(th * tw * c);
  for (let y = 0; y < th; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= img.height) continue;
    for (let x = 0; x < tw; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= img.width) continue;
      for (let ch = 0; ch < c; ch++) out[(y * tw + x) * c + ch] = img.data[(sy * img.width + sx) * c + ch];
    }
  }
  return out;
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
