/** Drawing a sample's input image, optionally with a patch overlay of one expert's dispatch weights. */
import type { SampleRecord } from '../src/core/analysis/schema';
import { decodeImage } from './model';

/** `overlay.max`: the weight drawn at full strength (default: this overlay's own maximum). */
export function imageCanvas(sample: SampleRecord, scale: number, overlay?: { weights: number[]; color: string; max?: number }): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  const img = sample.image;
  if (!img) {
    canvas.width = canvas.height = 28 * scale;
    return canvas;
  }
  canvas.width = img.width * scale;
  canvas.height = img.height * scale;
  const g = canvas.getContext('2d');
  if (!g) return canvas;
  const src = document.createElement('canvas');
  src.width = img.width;
  src.height = img.height;
  const sg = src.getContext('2d');
  if (!sg) return canvas;
  sg.putImageData(new ImageData(decodeImage(img), img.width, img.height), 0, 0);
  g.imageSmoothingEnabled = false;
  g.drawImage(src, 0, 0, canvas.width, canvas.height);
  const grid = sample.tokenGrid;
  if (overlay && grid && grid.rows > 0 && grid.cols > 0) {
    const w = grid.hasClassToken ? overlay.weights.slice(1) : overlay.weights;
    const max = overlay.max ?? Math.max(...w, 1e-12);
    const cw = canvas.width / grid.cols;
    const ch = canvas.height / grid.rows;
    g.fillStyle = overlay.color;
    for (let t = 0; t < Math.min(w.length, grid.rows * grid.cols); t++) {
      g.globalAlpha = 0.75 * Math.min(1, (w[t] ?? 0) / max);
      g.fillRect((t % grid.cols) * cw, Math.floor(t / grid.cols) * ch, cw, ch);
    }
    g.globalAlpha = 1;
    g.strokeStyle = overlay.color;
    g.lineWidth = 1;
    for (let r = 1; r < grid.rows; r++) g.strokeRect(0, r * ch, canvas.width, 0);
    for (let c = 1; c < grid.cols; c++) g.strokeRect(c * cw, 0, 0, canvas.height);
  }
  return canvas;
}
