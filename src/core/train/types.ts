/** Types shared by the trainer, its run folder and its callers (CLI, scripts, tests). */

export interface TrainLogEntry {
  /** 1-based: the model after this many epochs of updates. */
  epoch: number;
  /** Mean cross-entropy over the epoch's mini-batches (as the paper logs it). */
  loss: number;
  /** Accuracy of the running model on the batches as they were trained (the paper's train accuracy). */
  trainAccuracy: number;
  /** Accuracy on the test split after the epoch; null when no test set was given. */
  testAccuracy: number | null;
  testLoss: number | null;
  seconds: number;
  examplesPerSecond: number;
  /** Checkpoint written for this epoch, relative to the run folder; null when this epoch was not saved. */
  checkpoint: string | null;
}

export interface TrainLog {
  numExperts: number;
  seed: number;
  backend: string;
  /** Epochs run in this folder so far, in order (a resumed run appends). */
  epochs: TrainLogEntry[];
}

export type TrainPhase = 'load' | 'train' | 'test' | 'save';

export interface TrainProgress {
  phase: TrainPhase;
  epoch: number;
  epochs: number;
  /** Examples done in this phase of this epoch, and how many there are. */
  done: number;
  total: number;
  /** Mean loss of the epoch so far (train phase). */
  loss?: number;
  examplesPerSecond?: number;
}

export type ProgressFn = (p: TrainProgress) => void;
