/**
 * What every checkpoint reader produces: a lazily readable map of named tensors.
 *
 * Opening a checkpoint reads and validates only its header (safetensors JSON, the pickle of a torch zip, an npy
 * header); tensor bytes are read on demand, by offset, through a `ByteSource`. Nothing ever loads a whole file.
 */

/** Element types we read. Everything is converted to Float32 for compute. */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_SIZE: Record<DType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** Random access to bytes (a file handle, an in-memory buffer). The core never opens files any other way. */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Read exactly `length` bytes at `offset`; throws E_CORRUPT if the range is outside the source. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Number of elements (product of shape). */
  numel: number;
  /** Size in bytes as stored (0 for a meta tensor). */
  byteLength: number;
  /**
   * A meta tensor: saved with shape and dtype but no data (torch's `meta` device; the paper's vmap code saves its
   * `base_expert.*` templates so). Reading it throws E_UNSUPPORTED naming it.
   */
  meta?: boolean;
}

export interface TensorEntry extends TensorInfo {
  /** Read and convert to Float32 (row-major, contiguous), validating bounds. */
  readFloat32(): Promise<Float32Array>;
  /**
   * Read the values as stored, in `dtype`: `byteLength` bytes, little-endian, row-major and contiguous (what the
   * PyTorch engine hands to the user's model unchanged).
   */
  readBytes?(): Promise<Uint8Array>;
}

export type CheckpointFormat = 'safetensors' | 'safetensors-sharded' | 'pytorch-zip' | 'pytorch-legacy' | 'npy' | 'npz';

export interface Checkpoint {
  /** Absolute path of the file that was opened. */
  path: string;
  format: CheckpointFormat;
  /** Size of the file(s) in bytes. */
  fileSize: number;
  /**
   * The state_dict: tensor name → entry, in file order. For torch checkpoints that nest the weights
   * (`model`, `state_dict`, `module`), the names are those inside the nesting.
   */
  tensors: Map<string, TensorEntry>;
  /** Where the state_dict was found inside the file ('' for top level, else e.g. 'model'). */
  stateDictKey: string;
  /** String metadata (safetensors `__metadata__`), if any. */
  metadata: Record<string, string>;
  /** Non-tensor values found beside the state_dict (e.g. `epoch`), as plain JSON-safe values. */
  extras: Record<string, unknown>;
  close(): Promise<void>;
}
