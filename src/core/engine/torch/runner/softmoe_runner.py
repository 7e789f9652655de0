#!/usr/bin/env python3
"""Soft MoE Inspector's PyTorch runner: runs the user's own model for the analysis.

Started by the tool (src/core/engine/torch/runnerProcess.ts) with the interpreter the user chose, it speaks the framed
binary protocol of src/core/protocol/torchProtocol.ts on stdin/stdout (keep PROTOCOL_VERSION equal to
TORCH_PROTOCOL_VERSION there). Standard library and torch only.

What it does with the model:
  - imports the factory named in softmoe.json (its pythonPath first on sys.path), calls it, loads the state_dict the
    tool read with its own safe reader (tensor bytes arrive over the protocol; nothing here unpickles a file);
  - finds each Soft MoE layer the tool detected as `model.get_submodule(name)` and replaces that module's forward with
    a reference forward of the detected variant, written from the math (docs: soft-moe-layouts.md), which takes
    expert masks and a drop mode and hands back the routing. Everything else in the model is the user's code;
  - CHECKS FIRST: on the first batch every layer's reference forward (all experts kept) runs beside the module's own
    forward on the same input; a layer whose outputs differ by more than 1e-5 (relative to the output's largest
    value) is refused, by name and with the difference, because the analysis would not be exact.

Masked passes are stacked: a chunk of passes is one forward over (passes x batch) rows, pass-major, as large as the
memory budget allows (halved on an out-of-memory error). All forwards run under torch.inference_mode().
"""
import importlib
import json
import math
import os
import platform
import queue
import struct
import sys
import threading
import traceback

PROTOCOL_VERSION = 1
MAX_HEADER = 16 << 20
MAX_BUFFERS = 4096
CHECK_TOLERANCE = 1e-5

torch = None  # imported in main(), after the hello frame can report a failure
F = None


class RunnerError(Exception):
    def __init__(self, code, message, detail=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


class Cancelled(Exception):
    pass


# ---------------------------------------------------------------------------------------------------- frames

def read_exact(f, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = f.readinto(view[got:])
        if not k:
            raise EOFError('the protocol stream ended inside a frame')
        got += k
    return buf


def read_frame(f):
    """(header, buffers) or None at a clean end of stream."""
    head = f.read(8)
    if not head:
        return None
    if len(head) < 8:
        raise EOFError('the protocol stream ended inside a frame')
    hlen, nbuf = struct.unpack('<II', head)
    if hlen > MAX_HEADER or nbuf > MAX_BUFFERS:
        raise RunnerError('protocol', 'frame header of %d bytes with %d buffers is over the limits' % (hlen, nbuf))
    lens = struct.unpack('<%dQ' % nbuf, bytes(read_exact(f, 8 * nbuf))) if nbuf else ()
    header = json.loads(bytes(read_exact(f, hlen)).decode('utf-8'))
    return header, [read_exact(f, n) for n in lens]


class Channel:
    """The protocol's output side (frames on the private copy of stdout)."""

    def __init__(self, f):
        self.f = f
        self.lock = threading.Lock()

    def send(self, header, buffers=()):
        hb = json.dumps(header, separators=(',', ':'), allow_nan=False).encode('utf-8')
        with self.lock:
            self.f.write(struct.pack('<II', len(hb), len(buffers)))
            if buffers:
                self.f.write(struct.pack('<%dQ' % len(buffers), *[len(b) for b in buffers]))
            self.f.write(hb)
            for b in buffers:
                self.f.write(b)
            self.f.flush()


class Inbox:
    """Reads frames on a thread, so a `cancel` is seen while the main thread computes, and the runner ends as soon as
    the client's end of the pipe closes (the engine was disposed, or whatever started us has gone): no orphan."""

    def __init__(self, f):
        self.q = queue.Queue()
        self.cancelled = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._read, args=(f,), name='softmoe-inbox', daemon=True).start()

    def _read(self, f):
        try:
            while True:
                frame = read_frame(f)
                if frame is None:
                    break
                header = frame[0]
                if header.get('type') == 'cancel':
                    with self.lock:
                        self.cancelled.add(header.get('id'))
                    self.q.put(('cancel', header.get('id')))
                else:
                    self.q.put(('frame', frame))
        except BaseException as e:  # a broken stream: say so on stderr, then stop like at its end
            sys.stderr.write('softmoe runner: protocol input failed: %s\n' % (e,))
        sys.stderr.flush()
        os._exit(0)

    def next_frame(self):
        while True:
            kind, item = self.q.get()
            if kind == 'frame':
                return item

    def is_cancelled(self, rid):
        with self.lock:
            return rid in self.cancelled

    def check(self, rid):
        if rid is not None and self.is_cancelled(rid):
            raise Cancelled()

    def wait_for(self, rid, what):
        """The next frame for request `rid` (a cancel of rid raises Cancelled)."""
        while True:
            kind, item = self.q.get()
            if kind == 'cancel':
                if item == rid:
                    raise Cancelled()
                continue
            return item


def claim_stdio():
    """Keep private copies of fd 0/1 for the protocol and point fd 0 at /dev/null and fd 1 at stderr, so whatever the
    user's code prints goes to the log and nothing it reads or writes can touch the protocol."""
    proto_in = os.fdopen(os.dup(0), 'rb', buffering=1 << 16)
    proto_out = os.fdopen(os.dup(1), 'wb', buffering=1 << 16)
    sys.stdout.flush()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull, 'r')
    sys.stdout = sys.stderr
    return proto_in, proto_out


# ---------------------------------------------------------------------------------------------------- helpers

DTYPES = {
    'F64': 'float64', 'F32': 'float32', 'F16': 'float16', 'BF16': 'bfloat16', 'I64': 'int64', 'I32': 'int32',
    'I16': 'int16', 'I8': 'int8', 'U8': 'uint8', 'BOOL': 'bool',
}


def tensor_from(buf, dtype, shape):
    """A CPU tensor over the bytes of `buf` (a bytearray kept alive by the caller)."""
    dt = getattr(torch, DTYPES[dtype])
    numel = 1
    for s in shape:
        numel *= s
    if numel == 0:
        return torch.zeros(shape, dtype=dt)
    t = torch.frombuffer(buf, dtype=dt)
    if t.numel() != numel:
        raise RunnerError('protocol', 'a %s buffer of %d bytes does not hold shape %s' % (dtype, len(buf), shape))
    return t.reshape(shape)


def tensor_bytes(t, dtype=None):
    """Raw little-endian bytes of a tensor (float32 unless told), C order, without numpy."""
    import ctypes
    t = t.detach()
    if dtype is not None:
        t = t.to(dtype)
    t = t.to('cpu').contiguous()
    n = t.numel() * t.element_size()
    return ctypes.string_at(t.data_ptr(), n) if n else b''


def f32(t):
    return tensor_bytes(t, torch.float32)


def describe_exception(e):
    """'ValueError: message (models/vit.py:12 in build_model)' — the innermost frame, where the user's code failed."""
    where = ''
    tb = traceback.extract_tb(e.__traceback__) if e.__traceback__ is not None else []
    if tb:
        last = tb[-1]
        where = ' (%s:%d in %s)' % (os.path.relpath(last.filename) if not last.filename.startswith('<') else last.filename,
                                   last.lineno, last.name)
    text = str(e).strip().splitlines()
    return '%s%s%s' % (type(e).__name__, (': ' + text[0]) if text else '', where)


def finite_or_none(v):
    return v if v is not None and math.isfinite(v) else None


def is_oom(e):
    s = str(e)
    return isinstance(e, MemoryError) or (isinstance(e, RuntimeError) and ('out of memory' in s or "can't allocate memory" in s))


def import_object(spec, what, path):
    """'package.module:attr.sub' → the object. Errors name the module, the attribute and the search path."""
    module_name, _, attr = spec.partition(':')
    try:
        obj = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        missing = e.name or ''
        if missing and (module_name == missing or module_name.startswith(missing + '.')):
            raise RunnerError('import', "cannot import module '%s' named by %s: no module named '%s' (searched %s first)"
                              % (module_name, what, missing, ', '.join(path) or 'sys.path only'), traceback.format_exc())
        raise RunnerError('import', "module '%s' named by %s failed to import: %s" % (module_name, what, describe_exception(e)),
                          traceback.format_exc())
    except BaseException as e:
        raise RunnerError('import', "importing module '%s' named by %s raised %s" % (module_name, what, describe_exception(e)),
                          traceback.format_exc())
    for part in attr.split('.'):
        if not hasattr(obj, part):
            raise RunnerError('factory', "module '%s' has no attribute '%s' (named by %s)" % (module_name, attr, what))
        obj = getattr(obj, part)
    if not callable(obj):
        raise RunnerError('factory', "%s '%s' is a %s, not something to call" % (what, spec, type(obj).__name__))
    return obj


def choose_device(torch_mod, want):
    """'auto' → cuda when available, else cpu; explicit names are checked against what this torch has."""
    want = (want or 'auto').strip()
    cuda = torch_mod.cuda.is_available()
    count = torch_mod.cuda.device_count() if cuda else 0
    if want == 'auto':
        return 'cuda:0' if cuda else 'cpu'
    if want == 'cpu':
        return 'cpu'
    if want == 'cuda' or want.startswith('cuda:'):
        index = 0
        if want != 'cuda':
            rest = want[len('cuda:'):]
            if not rest.isdigit():
                raise RunnerError('device', "device '%s' is not cuda:<index>" % want)
            index = int(rest)
        if not cuda:
            raise RunnerError('device', "device '%s': torch %s here has no CUDA device (torch.cuda.is_available() is False)"
                              % (want, torch_mod.__version__))
        if index >= count:
            raise RunnerError('device', "device '%s': only %d CUDA device%s here (cuda:0%s)"
                              % (want, count, '' if count == 1 else 's', '' if count == 1 else '…cuda:%d' % (count - 1)))
        return 'cuda:%d' % index
    if want == 'mps':
        mps = getattr(getattr(torch_mod, 'backends', None), 'mps', None)
        if mps is None or not mps.is_available():
            raise RunnerError('device', "device 'mps': torch %s here has no MPS device" % torch_mod.__version__)
        return 'mps'
    raise RunnerError('device', "unknown device '%s'; use auto, cpu, cuda, cuda:<index> or mps" % want)


def list_devices(torch_mod):
    out = [{'name': 'cpu'}]
    try:
        if torch_mod.cuda.is_available():
            for i in range(torch_mod.cuda.device_count()):
                props = torch_mod.cuda.get_device_properties(i)
                out.append({'name': 'cuda:%d' % i, 'label': props.name, 'memory': int(props.total_memory)})
    except Exception:
        pass
    try:
        if torch_mod.backends.mps.is_available():
            out.append({'name': 'mps'})
    except Exception:
        pass
    return out


# ---------------------------------------------------------------------------------------------------- the layer

def normalize(t, style, gamma=None, beta=None):
    """Normalise over the last axis the way each implementation does (tokenNorm.ts), then the learnable gain/bias."""
    if style == 'none':
        out = t
    elif style == 'paper':
        out = t / (torch.sqrt(torch.square(t).sum(dim=-1, keepdim=True)) + 1e-6)
    elif style == 'l2':
        out = F.normalize(t, dim=-1)
    elif style == 'rsqrt':
        out = t * torch.rsqrt(torch.square(t).sum(dim=-1, keepdim=True) + 1e-6)
    elif style == 'rms':
        out = F.normalize(t, dim=-1) * math.sqrt(t.shape[-1])
    elif style == 'layernorm':
        out = F.layer_norm(t, (t.shape[-1],), eps=1e-5)
    else:
        raise RunnerError('layer', "normalisation '%s' is not one this runner computes" % style)
    if gamma is not None:
        out = out * gamma
    if beta is not None:
        out = out + beta
    return out


def activate(h, kind):
    if kind == 'relu':
        return F.relu(h)
    if kind == 'gelu':
        return F.gelu(h)
    if kind == 'gelu-tanh':
        return F.gelu(h, approximate='tanh')
    if kind == 'geglu':
        value, gate = h.chunk(2, dim=-1)
        return value * F.gelu(gate)
    raise RunnerError('layer', "expert activation '%s' is not one this runner computes" % kind)


class SoftMoeLayer:
    """One detected Soft MoE layer: its module, the module's own forward, and the reference forward that replaces it.

    The reference forward (Puigcerver et al.; soft-moe-layouts.md), tokens X [B, m, d]:
      logits = norm(X) · scale·norm(Φ)ᵀ      [B, m, S]  (S = n·p; slot e·p + s is slot s of expert e)
      D = softmax over tokens, C = softmax over the S slots
      X̃ = Dᵀ · Xe (Xe the normalised or the raw tokens), Ỹ[e·p:(e+1)·p] = expert e on its p slots
      Y = C_eff · Ỹ, with C_eff = C ⊙ mask ('zero') or the softmax of the logits with dropped slots at −∞ ('renorm')
    """

    def __init__(self, session, spec, module, tensors):
        self.session = session
        self.spec = spec
        self.name = spec['module']
        self.module = module
        self.n = spec['numExperts']
        self.p = spec['slotsPerExpert']
        self.d = spec['dim']
        self.h = spec['expertHidden']
        v = spec['variant']
        self.norm = v['norm']
        self.sees_norm = v['expertsSeeNormalized']
        self.activation = v['activation']
        if self.activation not in ('relu', 'gelu', 'gelu-tanh', 'geglu', 'none'):
            raise RunnerError('layer', "layer '%s': expert activation '%s' is not one this runner computes" % (self.name, self.activation))
        if self.norm not in ('paper', 'l2', 'rsqrt', 'rms', 'layernorm', 'none'):
            raise RunnerError('layer', "layer '%s': normalisation '%s' is not one this runner computes" % (self.name, self.norm))
        if spec['routerAxes'] not in ('dn', 'dnp', 'npd'):
            raise RunnerError('layer', "layer '%s': router layout '%s' (input-dependent slots) is not one this runner computes yet"
                              % (self.name, spec['routerAxes']))
        self.t = tensors  # name → the model's own parameter/buffer
        self.index = None  # position in forward order (set by the probe)
        self.tokens = None
        self.own = module.forward  # the module's own forward, bound
        self.wrap = spec.get('wrap')
        self.decoder = None
        if self.wrap:
            self.decoder = session.model.get_submodule(session.key(self.wrap['decoder']))
        self._prepare_experts()
        layer = self

        def forward(x, *args, **kwargs):
            return layer.module_forward(x, args, kwargs)

        module.forward = forward

    # ---- weights
    def _get(self, name):
        return self.t[name] if name is not None else None

    def _prepare_experts(self):
        """Expert weights as [n, ...] stacks for batched matmuls. Per-expert parameters are re-pointed at views of the
        stack (same values, no second copy), so the module's own forward keeps working on the same memory."""
        x = self.spec['experts']
        kind = x['kind']
        self.linear = kind == 'linear' or self.activation == 'none'
        if kind == 'per-expert':
            self.w1 = self._stack(x['fc1'])
            self.w2 = self._stack(x['fc2'])
            self.b1 = self._stack(x['fc1Bias']) if x.get('fc1Bias') else None
            self.b2 = self._stack(x['fc2Bias']) if x.get('fc2Bias') else None
            self.in_major = False
        elif kind == 'stacked':
            self.w1, self.w2 = self._get(x['fc1']), self._get(x['fc2'])
            self.b1, self.b2 = self._get(x.get('fc1Bias')), self._get(x.get('fc2Bias'))
            self.in_major = x['order'] == 'in-out'
        elif kind == 'linear':
            self.w1, self.b1 = self._get(x['weight']), self._get(x.get('bias'))
            self.w2 = self.b2 = None
            self.in_major = True
        else:
            raise RunnerError('layer', "layer '%s': expert layout '%s' is not one this runner computes" % (self.name, kind))

    def _stack(self, names):
        params = [self.t[nm] for nm in names]
        stacked = torch.stack([q.detach() for q in params])
        if len({id(q) for q in params}) == len(params):
            for e, q in enumerate(params):
                q.data = stacked[e]
        return stacked

    def router(self):
        """Normalised, scaled slot vectors [S, d]."""
        s = self.spec
        r = self._get(s['router'])
        S = self.n * self.p
        if s['routerAxes'] == 'npd':
            r = r.reshape(S, self.d)
        else:  # 'dn' / 'dnp': [d, n(, p)]
            r = r.reshape(self.d, S).t()
        sn = s.get('slotNorm') or {}
        r = normalize(r, self.norm, self._get(sn.get('gamma')), self._get(sn.get('beta')))
        if s.get('scale'):
            r = r * self._get(s['scale']).reshape(())
        return r

    def experts(self, slots):
        """Slots [B, S, d] → expert outputs per slot [B, S, d]; each expert once on its B·p slots."""
        B = slots.shape[0]
        n, p, d = self.n, self.p, self.d
        xs = slots.reshape(B, n, p, d).transpose(0, 1).reshape(n, B * p, d)
        hid = self._linear(xs, self.w1, self.b1)
        if not self.linear:
            hid = self._linear(activate(hid, self.activation), self.w2, self.b2)
        # The experts' output width: d, or another for fkodom experts that map d inputs to out_features outputs.
        return hid.reshape(n, B, p, -1).transpose(0, 1).reshape(B, n * p, hid.shape[-1])

    def _linear(self, xs, w, b):
        y = torch.bmm(xs, w if self.in_major else w.transpose(1, 2))
        return y if b is None else y + b.unsqueeze(1)

    # ---- forward
    def reference(self, x, mask=None, drop='zero', want_routing=False, choose=None):
        """x [B, m, d] → (y [B, m, d], routing dict or None). `choose(routing) → mask` picks the mask inside the pass."""
        B, m, _ = x.shape
        tn = self.spec.get('tokenNorm') or {}
        xn = normalize(x, self.norm, self._get(tn.get('gamma')), self._get(tn.get('beta')))
        logits = torch.matmul(xn, self.router().t())  # [B, m, S]
        dispatch = torch.softmax(logits, dim=1)
        combine = torch.softmax(logits, dim=2)
        slots = torch.matmul(dispatch.transpose(1, 2), xn if self.sees_norm else x)
        ys = self.experts(slots)
        routing = None
        if want_routing or choose is not None:
            routing = {'logits': logits, 'combine': combine, 'dispatch': dispatch, 'slotOutputs': ys}
        if choose is not None:
            mask = choose(routing)
        ceff = combine
        if mask is not None:
            keep = mask.to(torch.bool).repeat_interleave(self.p, dim=1)[:, None, :]  # [B, 1, S]
            if drop == 'renorm':
                ceff = torch.softmax(logits.masked_fill(~keep, float('-inf')), dim=2)
            else:
                ceff = combine * keep.to(combine.dtype)
        return torch.matmul(ceff, ys), routing

    def tokens_of(self, x):
        """The module's input as tokens [B, m, d], and how to give the output the input's layout back."""
        d = self.d
        if self.wrap:
            P, c = self.wrap['patch'], self.wrap['channels']
            b, ch, hh, ww = x.shape
            g1, g2 = hh // P, ww // P
            t = x.reshape(b, ch, g1, P, g2, P).permute(0, 2, 4, 1, 3, 5).reshape(b, g1 * g2, ch * P * P)
            return t, self.decoder
        if x.dim() == 3 and x.shape[-1] == d:
            return x, None
        if x.dim() == 4 and x.shape[1] == d:
            b, _, hh, ww = x.shape
            return x.flatten(2).transpose(1, 2), (lambda y: y.transpose(1, 2).reshape(b, y.shape[-1], hh, ww))
        if x.dim() == 4 and x.shape[-1] == d:
            shape = x.shape
            return x.reshape(shape[0], -1, d), (lambda y: y.reshape(shape))
        raise RunnerError('layer', "Soft MoE layer '%s' is called with a tensor of shape %s; the reference forward takes tokens "
                          "[batch, tokens, %d] or feature maps [batch, %d, height, width]" % (self.name, list(x.shape), d, d))

    def module_forward(self, x, args, kwargs):
        ctx = self.session.ctx
        if ctx is None:
            return self.own(x, *args, **kwargs)
        ctx.count(self)
        mode = ctx.mode
        if mode == 'probe':
            out = self.own(x, *args, **kwargs)
            self.tokens = self.tokens_of(x)[0].shape[1]
            return out
        if mode == 'check':
            own = self.own(x, *args, **kwargs)
            tokens, back = self.tokens_of(x)
            y, _ = self.reference(tokens)
            ref = back(y) if back else y
            ctx.checks.append(compare(self.name, ref, own))
            return own
        self.session.inbox.check(ctx.rid)
        tokens, back = self.tokens_of(x)
        mask = ctx.masks[self.index] if ctx.masks is not None else None
        choose = None
        if mode == 'select':
            def choose(routing):
                return ctx.select(self.index, routing)
        y, routing = self.reference(tokens, mask, ctx.drop, want_routing=mode == 'trace', choose=choose)
        if mode == 'trace':
            ctx.traces.append(routing)
        return back(y) if back else y


def compare(name, ref, own):
    if not isinstance(own, torch.Tensor) or own.shape != ref.shape:
        shape = list(own.shape) if isinstance(own, torch.Tensor) else type(own).__name__
        return {'module': name, 'maxAbsDiff': None, 'maxAbs': None, 'relative': None, 'tolerance': CHECK_TOLERANCE, 'ok': False,
                'why': 'its own forward returns %s, the reference [%s]' % (shape, ', '.join(str(s) for s in ref.shape))}
    diff = (ref.double() - own.double()).abs().max().item() if ref.numel() else 0.0
    scale = own.double().abs().max().item() if own.numel() else 0.0
    rel = diff / scale if scale > 0 else (0.0 if diff == 0 else math.inf)
    ok = math.isfinite(diff) and math.isfinite(rel) and rel <= CHECK_TOLERANCE
    return {'module': name, 'maxAbsDiff': finite_or_none(diff), 'maxAbs': finite_or_none(scale), 'relative': finite_or_none(rel),
            'tolerance': CHECK_TOLERANCE, 'ok': ok}


class PassContext:
    """What the replaced forwards do during one forward of the model."""

    def __init__(self, mode, rid=None, masks=None, drop='zero', select=None):
        self.mode = mode
        self.rid = rid
        self.masks = masks
        self.drop = drop
        self.select = select
        self.traces = []
        self.checks = []
        self.calls = {}
        self.order = []

    def count(self, layer):
        if id(layer) not in self.calls:
            self.order.append(layer)
        self.calls[id(layer)] = self.calls.get(id(layer), 0) + 1


# ---------------------------------------------------------------------------------------------------- session

class Session:
    def __init__(self, out, inbox):
        self.out = out
        self.inbox = inbox
        self.model = None
        self.layers = []
        self.batches = {}
        self.ctx = None
        self.checked = None  # None: not yet; else the list of checks (all ok) or a RunnerError
        self.prefix = ''
        self.device = 'cpu'

    def key(self, name):
        """A checkpoint name → the model's name (a stripped container prefix such as 'module.')."""
        if self.prefix and name.startswith(self.prefix):
            return name[len(self.prefix):]
        return name

    def reply(self, header, buffers=()):
        self.out.send(header, buffers)

    # ---- build
    def build(self, h, rid):
        spec = h['factory']
        path = [p for p in spec.get('pythonPath', [])]
        for p in reversed(path):
            if p not in sys.path:
                sys.path.insert(0, p)
        if h.get('threads'):
            torch.set_num_threads(int(h['threads']))
        self.threads = torch.get_num_threads()
        self.device = choose_device(torch, h.get('device'))
        if self.device.startswith('cuda'):
            # Exact float32 matmuls: the self-check and the analysis compare the layer to its own forward at 1e-5.
            torch.backends.cuda.matmul.allow_tf32 = False
        factory = import_object(spec['factory'], 'model.factory', path)
        try:
            model = factory(**(spec.get('kwargs') or {}))
        except BaseException as e:
            raise RunnerError('factory', "model.factory '%s' raised %s" % (spec['factory'], describe_exception(e)), traceback.format_exc())
        if not isinstance(model, torch.nn.Module):
            raise RunnerError('factory', "model.factory '%s' returned a %s, not a torch.nn.Module"
                              % (spec['factory'], type(model).__module__ + '.' + type(model).__name__))
        self.model = model
        self.strict = bool(spec.get('strict', True))
        cls = type(model)
        self.reply({'type': 'built', 're': rid, 'modelClass': cls.__module__ + '.' + cls.__qualname__,
                    'parameterCount': int(sum(p.numel() for p in model.parameters())), 'device': self.device,
                    'threads': self.threads})

    # ---- weights, layers, probe
    def weights(self, h, rid):
        if self.model is None:
            raise RunnerError('protocol', 'weights before build')
        count = int(h['count'])
        received = {}
        keep = []  # the bytearrays under the tensors, alive until load_state_dict has copied them
        for _ in range(count):
            header, bufs = self.inbox.next_frame()
            if header.get('type') != 'tensor' or len(bufs) != 1:
                raise RunnerError('protocol', 'expected a tensor frame, got %s' % header.get('type'))
            keep.append(bufs[0])
            received[header['name']] = tensor_from(bufs[0], header['dtype'], header['shape'])
        notes = self._load_state_dict(received)
        del keep, received
        self.model.eval()
        self.model.to(self.device)
        torch.set_grad_enabled(False)
        named = dict(self.model.named_parameters())
        named.update(dict(self.model.named_buffers()))
        self.input = h['input']
        self.max_values = int(h.get('maxStackedValues') or (1 << 24))
        self.layers = []
        for spec in h['layers']:
            self.layers.append(self._layer(spec, named))
        self.mean = self.std = None
        if self.input.get('mean') is not None:
            c = self.input['shape'][2]
            self.mean = torch.tensor(self.input['mean'], dtype=torch.float32, device=self.device).reshape(1, c, 1, 1)
            self.std = torch.tensor(self.input['std'], dtype=torch.float32, device=self.device).reshape(1, c, 1, 1)
        self.transform = None
        if self.input.get('transform'):
            self.transform = import_object(self.input['transform'], 'transform', [])
        num_classes = self._probe()
        self.reply({'type': 'loaded', 're': rid, 'numClasses': num_classes,
                    'layers': [{'module': l.name, 'tokens': l.tokens} for l in self.layers], 'notes': notes})

    def _load_state_dict(self, received):
        notes = []
        own = self.model.state_dict()
        names = list(received)
        if names and not (set(names) & set(own)):
            # A container prefix the model does not have ('module.' from DataParallel, '_orig_mod.' from torch.compile).
            first = names[0].split('.', 1)[0] + '.'
            if all(n.startswith(first) for n in names) and (set(n[len(first):] for n in names) & set(own)):
                self.prefix = first
                notes.append("checkpoint names start with '%s', the model's do not: matched without it" % first)
                received = {n[len(first):]: t for n, t in received.items()}
        missing = [k for k in own if k not in received]
        unexpected = [k for k in received if k not in own]
        wrong = [k for k in received if k in own and tuple(received[k].shape) != tuple(own[k].shape)]

        def few(keys):
            return ', '.join(keys[:4]) + (' and %d more' % (len(keys) - 4) if len(keys) > 4 else '')
        if wrong:
            k = wrong[0]
            raise RunnerError('state-dict', "the checkpoint's %s is [%s] but the model built by the factory has [%s]%s"
                              % (k, ', '.join(map(str, received[k].shape)), ', '.join(map(str, own[k].shape)),
                                 ' (%d tensors differ)' % len(wrong) if len(wrong) > 1 else ''))
        if self.strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append('the model has %d tensor%s the checkpoint lacks (%s)' % (len(missing), '' if len(missing) == 1 else 's', few(missing)))
            if unexpected:
                parts.append('the checkpoint has %d the model lacks (%s)' % (len(unexpected), few(unexpected)))
            raise RunnerError('state-dict', "the checkpoint does not fit the model built by the factory: %s; "
                              "fix model.kwargs, or set \"strict\": false in softmoe.json's model to load what matches" % '; '.join(parts))
        if missing:
            notes.append('%d model tensor%s not in the checkpoint kept their initial values (%s)' % (len(missing), '' if len(missing) == 1 else 's', few(missing)))
        if unexpected:
            notes.append('%d checkpoint tensor%s not in the model ignored (%s)' % (len(unexpected), '' if len(unexpected) == 1 else 's', few(unexpected)))
        try:
            self.model.load_state_dict({k: v for k, v in received.items() if k in own}, strict=False)
        except BaseException as e:
            raise RunnerError('state-dict', 'load_state_dict raised %s' % describe_exception(e), traceback.format_exc())
        return notes

    def _layer(self, spec, named):
        name = spec['module']
        try:
            module = self.model.get_submodule(self.key(name)) if name else self.model
        except AttributeError:
            raise RunnerError('layer', "the checkpoint has a Soft MoE layer '%s' but the model built by the factory has no module of that name"
                              % name)
        want = [spec['router'], spec.get('scale')]
        for nrm in (spec.get('tokenNorm'), spec.get('slotNorm')):
            if nrm:
                want += [nrm.get('gamma'), nrm.get('beta')]
        x = spec['experts']
        for k in ('fc1', 'fc2', 'fc1Bias', 'fc2Bias', 'weight', 'bias'):
            v = x.get(k)
            want += v if isinstance(v, list) else [v]
        tensors = {}
        for nm in want:
            if nm is None:
                continue
            key = self.key(nm)
            if key not in named:
                raise RunnerError('layer', "Soft MoE layer '%s': the model has no parameter or buffer '%s'" % (name, key))
            tensors[nm] = named[key]
        return SoftMoeLayer(self, spec, module, tensors)

    def preprocess(self, images):
        """Dataset images [b, H, W, C] (0–1) → the model's input [b, C, H, W], on the device."""
        x = images.to(self.device).permute(0, 3, 1, 2)
        if self.transform is not None:
            try:
                return self.transform(x.contiguous())
            except BaseException as e:
                raise RunnerError('forward', "transform '%s' raised %s" % (self.input['transform'], describe_exception(e)), traceback.format_exc())
        if self.mean is not None:
            x = (x - self.mean) / self.std
        return x.contiguous()

    def forward(self, x, ctx):
        self.ctx = ctx
        try:
            with torch.inference_mode():
                out = self.model(x)
        except (Cancelled, RunnerError):
            raise
        except BaseException as e:
            if is_oom(e):
                raise MemoryError(str(e))
            raise RunnerError('forward', "the model's forward raised %s" % describe_exception(e), traceback.format_exc())
        finally:
            self.ctx = None
        logits = self.logits_of(out, x.shape[0])
        for layer in self.layers:
            calls = ctx.calls.get(id(layer), 0)
            if calls != 1:
                raise RunnerError('layer', "Soft MoE layer '%s' ran %d times in one forward of the model; the analysis needs every Soft MoE "
                                  "layer to run exactly once per forward" % (layer.name, calls))
        return logits

    @staticmethod
    def logits_of(out, b):
        cand = out
        if isinstance(out, (tuple, list)) and out:
            cand = out[0]
        elif isinstance(out, dict) and 'logits' in out:
            cand = out['logits']
        elif hasattr(out, 'logits') and not isinstance(out, torch.Tensor):
            cand = out.logits
        if isinstance(cand, torch.Tensor) and cand.dim() == 2 and cand.shape[0] == b:
            return cand
        shape = list(cand.shape) if isinstance(cand, torch.Tensor) else type(out).__name__
        raise RunnerError('forward', "the model's forward returned %s; the analysis needs logits [batch, classes] (or a tuple, dict or "
                          "output object whose first item / 'logits' is that)" % shape)

    def _probe(self):
        h, w, c = self.input['shape']
        x = self.preprocess(torch.zeros(1, h, w, c))
        ctx = PassContext('probe')
        self.ctx = ctx
        try:
            with torch.inference_mode():
                out = self.model(x)
        except RunnerError:
            raise
        except BaseException as e:
            raise RunnerError('forward', "the model's forward raised %s on a probe input of %d×%d×%d" % (describe_exception(e), c, h, w),
                              traceback.format_exc())
        finally:
            self.ctx = None
        logits = self.logits_of(out, 1)
        for layer in self.layers:
            calls = ctx.calls.get(id(layer), 0)
            if calls != 1:
                raise RunnerError('layer', "Soft MoE layer '%s' ran %d times in one forward of the model; the analysis needs every Soft MoE "
                                  "layer to run exactly once per forward" % (layer.name, calls))
        self.layers = list(ctx.order)
        for i, layer in enumerate(self.layers):
            layer.index = i
        return int(logits.shape[1])

    # ---- batches
    def begin(self, h, bufs, rid):
        b = int(h['b'])
        hh, ww, c = self.input['shape']
        images = tensor_from(bufs[0], 'F32', [b, hh, ww, c])
        x = self.preprocess(images)
        checks = None
        if self.checked is None:
            checks = self._self_check(x, rid)
        elif isinstance(self.checked, RunnerError):
            raise self.checked
        self.batches[int(h['batch'])] = x
        msg = {'type': 'begun', 're': rid, 'batch': int(h['batch'])}
        if checks is not None:
            msg['checks'] = checks
        self.reply(msg)

    def _self_check(self, x, rid):
        ctx = PassContext('check', rid)
        self.forward(x, ctx)
        checks = ctx.checks
        bad = [c for c in checks if not c['ok']]
        if bad:
            layouts = {l.name: l.spec['layout'] for l in self.layers}
            parts = []
            for c in bad:
                what = "Soft MoE layer '%s' (%s layout)" % (c['module'], layouts.get(c['module'], '?'))
                if c.get('why'):
                    parts.append('%s: %s' % (what, c['why']))
                elif c['relative'] is None:
                    parts.append('%s: its own forward and the reference differ by a non-finite amount' % what)
                else:
                    parts.append("%s: its own forward and the reference forward of that layout differ by max |Δ| = %.3g, %.3g of the "
                                 "output's largest value %.3g (tolerance %g)" % (what, c['maxAbsDiff'], c['relative'], c['maxAbs'], CHECK_TOLERANCE))
            err = RunnerError('self-check', '%s; refused, since the analysis would not be exact (the math is not the variant the '
                              'checkpoint\'s tensor names suggest)' % '; '.join(parts), json.dumps(checks))
            self.checked = err
            raise err
        self.checked = checks
        return checks

    def batch(self, h):
        bid = int(h['batch'])
        if bid not in self.batches:
            raise RunnerError('protocol', 'batch %d is not open' % bid)
        return self.batches[bid]

    def trace(self, h, rid):
        x = self.batch(h)
        ctx = PassContext('trace', rid)
        logits = self.forward(x, ctx)
        want = bool(h.get('slotOutputs'))
        bufs = [f32(logits)]
        shapes = []
        for layer, r in zip(self.layers, ctx.traces):
            bufs += routing_buffers(layer, r, want)
            shapes.append({'m': r['logits'].shape[1], 'n': layer.n, 'p': layer.p, 'd': int(r['slotOutputs'].shape[-1])})
        self.reply({'type': 'traced', 're': rid, 'b': int(x.shape[0]), 'numClasses': int(logits.shape[1]), 'layers': shapes,
                    'slotOutputs': want}, bufs)

    def predict(self, h, rid):
        x = self.batch(h)
        logits = self.forward(x, PassContext('plain', rid))
        self.reply({'type': 'predictions', 're': rid, 'count': 1, 'b': int(x.shape[0])}, [tensor_bytes(logits.argmax(dim=1), torch.int32)])

    def passes_per_chunk(self, count, b):
        h, w, c = self.input['shape']
        # The largest activation one row (one input of one pass) makes: the input, a layer's tokens, its slots and
        # its experts' hidden units (the slots outnumber the tokens in small-token models such as the paper's).
        per_row = max([h * w * c] + [max((l.tokens or 1) * l.d, l.n * l.p * max(l.d, 2 * l.h)) for l in self.layers])
        budget = self.max_values
        if self.device.startswith('cuda'):
            try:
                free, _ = torch.cuda.mem_get_info(torch.device(self.device))
                budget = max(budget, int(free // 4 // 32))
            except Exception:
                pass
        rows = max(b, budget // per_row)
        return max(1, min(count, rows // b))

    def stacked(self, x, count, run_chunk):
        """Run `count` passes over batch x in chunks; run_chunk(xs, first, passes) → predictions [passes·b]."""
        b = int(x.shape[0])
        per = self.passes_per_chunk(count, b)
        preds = []
        first = 0
        while first < count:
            k = min(per, count - first)
            try:
                xs = x.repeat((k,) + (1,) * (x.dim() - 1)) if k > 1 else x
                preds.append(run_chunk(xs, first, k).to(torch.int32).cpu())
            except MemoryError as e:
                if per == 1:
                    raise RunnerError('oom', 'out of memory on %s even with one pass of %d inputs at a time (%s); use a smaller batch'
                                      % (self.device, b, str(e).splitlines()[0] if str(e) else 'MemoryError'))
                per = max(1, per // 2)
                if self.device.startswith('cuda'):
                    torch.cuda.empty_cache()
                continue
            first += k
            self.inbox.check(self.current)
        return torch.cat(preds) if preds else torch.zeros(0, dtype=torch.int32)

    def run(self, h, bufs, rid):
        x = self.batch(h)
        b, n = int(x.shape[0]), None
        count = int(h['count'])
        masked = h['masked']
        if len(masked) != len(self.layers):
            raise RunnerError('protocol', 'masks for %d layers, the model has %d' % (len(masked), len(self.layers)))
        masks, it = [], iter(bufs)
        for layer, has in zip(self.layers, masked):
            masks.append(tensor_from(next(it), 'U8', [count * b, layer.n]).to(self.device) if has else None)

        def chunk(xs, first, k):
            rows = slice(first * b, (first + k) * b)
            ctx = PassContext('masked', rid, [m[rows] if m is not None else None for m in masks], h['drop'])
            return self.forward(xs, ctx).argmax(dim=1)
        preds = self.stacked(x, count, chunk)
        self.reply({'type': 'predictions', 're': rid, 'count': count, 'b': b}, [tensor_bytes(preds, torch.int32)])

    def run_selecting(self, h, rid):
        x = self.batch(h)
        b = int(x.shape[0])
        count = int(h['count'])
        want = bool(h.get('slotOutputs'))

        def chunk(xs, first, k):
            rows = k * b

            def select(index, routing):
                layer = self.layers[index]
                self.inbox.check(rid)
                self.reply({'type': 'select', 're': rid, 'layer': index, 'firstPass': first, 'rows': rows,
                            'm': int(routing['logits'].shape[1]), 'n': layer.n, 'p': layer.p, 'd': int(routing['slotOutputs'].shape[-1]),
                            'slotOutputs': want},
                           routing_buffers(layer, routing, want))
                header, bufs = self.inbox.wait_for(rid, 'masks')
                if header.get('type') != 'masks' or header.get('id') != rid or header.get('layer') != index or header.get('firstPass') != first:
                    raise RunnerError('protocol', 'expected the masks of layer %d for passes from %d, got %s' % (index, first, header.get('type')))
                return tensor_from(bufs[0], 'U8', [rows, layer.n]).to(self.device)
            ctx = PassContext('select', rid, None, h['drop'], select)
            return self.forward(xs, ctx).argmax(dim=1)
        preds = self.stacked(x, count, chunk)
        self.reply({'type': 'predictions', 're': rid, 'count': count, 'b': b}, [tensor_bytes(preds, torch.int32)])

    def close(self, h, rid):
        self.batches.pop(int(h['batch']), None)
        self.reply({'type': 'done', 're': rid})


def routing_buffers(layer, r, with_outputs):
    B, m = r['logits'].shape[0], r['logits'].shape[1]
    shape = (B, m, layer.n, layer.p)
    out = [f32(r['logits'].reshape(shape)), f32(r['combine'].reshape(shape)), f32(r['dispatch'].reshape(shape))]
    if with_outputs:
        out.append(f32(r['slotOutputs'].reshape(B, layer.n, layer.p, -1)))
    return out


# ---------------------------------------------------------------------------------------------------- main

def main():
    global torch, F
    proto_in, proto_out = claim_stdio()
    out = Channel(proto_out)
    hello = {'type': 'hello', 'protocol': PROTOCOL_VERSION, 'pid': os.getpid(),
             'python': {'version': platform.python_version(), 'executable': sys.executable, 'platform': sys.platform}}
    if sys.byteorder != 'little':
        out.send(dict(hello, torch=None, torchError='this runner needs a little-endian machine'))
        return 3
    try:
        import torch as torch_mod
        import torch.nn.functional as functional
    except BaseException as e:
        out.send(dict(hello, torch=None, torchError=describe_exception(e)))
        return 3
    torch, F = torch_mod, functional
    out.send(dict(hello, torch={'version': torch.__version__, 'cuda': torch.version.cuda, 'devices': list_devices(torch),
                                'threads': torch.get_num_threads()}))
    inbox = Inbox(proto_in)
    session = Session(out, inbox)
    handlers = {
        'build': lambda h, b, rid: session.build(h, rid),
        'weights': lambda h, b, rid: session.weights(h, rid),
        'begin': session.begin,
        'trace': lambda h, b, rid: session.trace(h, rid),
        'run': session.run,
        'runSelecting': lambda h, b, rid: session.run_selecting(h, rid),
        'predict': lambda h, b, rid: session.predict(h, rid),
        'close': lambda h, b, rid: session.close(h, rid),
    }
    while True:
        header, bufs = inbox.next_frame()
        kind = header.get('type')
        rid = header.get('id')
        session.current = rid
        if kind == 'shutdown':
            out.send({'type': 'done', 're': rid})
            return 0
        try:
            handler = handlers.get(kind)
            if handler is None:
                raise RunnerError('protocol', "unknown request '%s'" % kind)
            if inbox.is_cancelled(rid):
                raise Cancelled()
            handler(header, bufs, rid)
        except Cancelled:
            out.send({'type': 'error', 're': rid, 'code': 'cancelled', 'message': 'Cancelled.'})
        except RunnerError as e:
            out.send({'type': 'error', 're': rid, 'code': e.code, 'message': e.message, 'detail': e.detail or traceback.format_exc()})
        except MemoryError as e:
            out.send({'type': 'error', 're': rid, 'code': 'oom', 'message': 'out of memory on %s: %s' % (session.device, str(e).splitlines()[0] if str(e) else 'MemoryError'),
                      'detail': traceback.format_exc()})
        except BaseException as e:
            out.send({'type': 'error', 're': rid, 'code': 'internal', 'message': 'the runner failed: %s' % describe_exception(e),
                      'detail': traceback.format_exc()})
        finally:
            session.current = None


if __name__ == '__main__':
    sys.exit(main())
