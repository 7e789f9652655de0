/**
 * What a dataset file may ask this tool to allocate. Each limit is far above any real dataset's and far below what
 * would exhaust a 1 GiB heap; a header that asks for more is refused (E_DATASET) before anything is allocated.
 */

/** Bytes of one example as stored (an IDX record, a numpy row): 256 MiB, i.e. a 9,000 × 9,000 RGB image. */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/** Classes a dataset may have (ImageNet-21k has 21,843). */
export const MAX_CLASSES = 100_000;

/** Size of a class list file (classes.txt, batches.meta.txt, fine_label_names.txt). */
export const MAX_CLASS_LIST_BYTES = 16 * 1024 * 1024;

/** Size of one image file of an image folder. */
export const MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024;

/** Pixels of one decoded image, and the longest side the decoders accept. */
export const MAX_IMAGE_PIXELS = 64 * 1024 * 1024;
export const MAX_IMAGE_SIDE = 32_768;

/** Pixels of the intermediate image a resize to a model's input size may make (before its centre crop). */
export const MAX_RESIZED_PIXELS = 16 * 1024 * 1024;
