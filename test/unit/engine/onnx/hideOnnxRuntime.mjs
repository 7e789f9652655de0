// Preloaded (node --import) to run a process as if onnxruntime-node were not installed: resolving it fails the way
// a missing package does.
import Module from 'node:module';

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (/(^|[\\/])onnxruntime-(node|common)([\\/]|$)/.test(request)) {
    const err = new Error(`Cannot find module '${request}'`);
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};
