"""Unit tests of the runner's device and memory logic with a fake torch (no GPU needed), run by runnerLogic.test.ts:

  /usr/bin/python3 -B test/unit/engine/torch/test_runner_logic.py

The CUDA paths cannot run on a machine without a GPU; these check what they decide: which device 'auto' picks, how
explicit names are checked, how large a stacked chunk is from the free device memory, and that an out-of-memory
error halves the chunk until one pass at a time, then says so.
"""
import importlib.util
import os
import sys
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', '..', '..', 'src', 'core', 'engine', 'torch', 'runner'))
import softmoe_runner as r  # noqa: E402


def fake_torch(cuda=0, mps=False, free=0):
    cuda_ns = types.SimpleNamespace(
        is_available=lambda: cuda > 0,
        device_count=lambda: cuda,
        mem_get_info=lambda device=None: (free, free * 2),
        empty_cache=lambda: None,
    )
    return types.SimpleNamespace(
        __version__='9.9.9', cuda=cuda_ns, device=lambda s: s,
        backends=types.SimpleNamespace(mps=types.SimpleNamespace(is_available=lambda: mps)),
    )


class ChooseDevice(unittest.TestCase):
    def test_auto_prefers_cuda(self):
        self.assertEqual(r.choose_device(fake_torch(cuda=2), 'auto'), 'cuda:0')
        self.assertEqual(r.choose_device(fake_torch(cuda=2), None), 'cuda:0')
        self.assertEqual(r.choose_device(fake_torch(cuda=0), 'auto'), 'cpu')
        self.assertEqual(r.choose_device(fake_torch(cuda=0, mps=True), 'auto'), 'cpu')

    def test_explicit(self):
        self.assertEqual(r.choose_device(fake_torch(cuda=2), 'cpu'), 'cpu')
        self.assertEqual(r.choose_device(fake_torch(cuda=2), 'cuda'), 'cuda:0')
        self.assertEqual(r.choose_device(fake_torch(cuda=2), 'cuda:1'), 'cuda:1')
        self.assertEqual(r.choose_device(fake_torch(mps=True), 'mps'), 'mps')

    def test_refused(self):
        cases = [
            (fake_torch(cuda=0), 'cuda', "no CUDA device"),
            (fake_torch(cuda=2), 'cuda:2', "only 2 CUDA devices here"),
            (fake_torch(cuda=1), 'cuda:1', "only 1 CUDA device here"),
            (fake_torch(cuda=1), 'cuda:x', "is not cuda:<index>"),
            (fake_torch(), 'mps', "no MPS device"),
            (fake_torch(), 'tpu', "unknown device 'tpu'"),
        ]
        for torch_like, want, text in cases:
            with self.assertRaises(r.RunnerError) as cm:
                r.choose_device(torch_like, want)
            self.assertEqual(cm.exception.code, 'device')
            self.assertIn(text, cm.exception.message)


def session(device, free=0, max_values=1 << 24):
    s = r.Session.__new__(r.Session)
    s.input = {'shape': [28, 28, 1]}
    s.layers = [types.SimpleNamespace(tokens=49, d=32, n=8, p=2, h=64)]
    s.max_values = max_values
    s.device = device
    s.current = None
    s.inbox = types.SimpleNamespace(check=lambda rid: None)
    return s


class ChunkSize(unittest.TestCase):
    def setUp(self):
        self.saved = r.torch

    def tearDown(self):
        r.torch = self.saved

    def test_cpu_budget(self):
        r.torch = fake_torch()
        # 2^24 values / (49 tokens x 32 = 1568; 16 slots x 2·64 hidden = 2048) = 8,192 rows → 128 passes of 64,
        # capped by the passes asked for.
        self.assertEqual(session('cpu').passes_per_chunk(1000, 64), 128)
        self.assertEqual(session('cpu').passes_per_chunk(10, 64), 10)
        # Never fewer than one pass, even when one pass is over the budget.
        self.assertEqual(session('cpu', max_values=10).passes_per_chunk(10, 64), 1)

    def test_cuda_budget_grows_with_free_memory(self):
        r.torch = fake_torch(cuda=1, free=80 << 30)
        # 80 GiB free / 4 bytes / 32 = 671M values → 327k rows → every pass of a big request in one forward.
        self.assertEqual(session('cuda:0').passes_per_chunk(5000, 64), 5000)
        r.torch = fake_torch(cuda=1, free=1 << 20)
        self.assertEqual(session('cuda:0').passes_per_chunk(1000, 64), 128)


@unittest.skipUnless(importlib.util.find_spec('torch'), 'needs torch')
class OutOfMemory(unittest.TestCase):
    def setUp(self):
        import torch
        self.saved = r.torch
        r.torch = torch

    def tearDown(self):
        r.torch = self.saved

    def test_halves_until_it_fits(self):
        import torch
        s = session('cpu', max_values=1 << 30)
        x = torch.zeros(4, 1, 28, 28)
        sizes = []

        def chunk(xs, first, k):
            sizes.append(k)
            if k > 3:
                raise MemoryError('CUDA out of memory. Tried to allocate 2.00 GiB')
            return torch.full((k * 4,), first, dtype=torch.int64)
        out = s.stacked(x, 10, chunk)
        self.assertEqual(sizes[0], 10)
        self.assertTrue(all(k <= 3 for k in sizes[-3:]))
        self.assertEqual(out.shape[0], 40)
        self.assertEqual(out.dtype, torch.int32)

    def test_one_pass_that_does_not_fit_is_an_error(self):
        import torch
        s = session('cpu')

        def chunk(xs, first, k):
            raise MemoryError('CUDA out of memory')
        with self.assertRaises(r.RunnerError) as cm:
            s.stacked(torch.zeros(4, 1, 28, 28), 3, chunk)
        self.assertEqual(cm.exception.code, 'oom')
        self.assertIn('even with one pass of 4 inputs at a time', cm.exception.message)

    def test_recognises_oom_errors(self):
        self.assertTrue(r.is_oom(RuntimeError('CUDA out of memory. Tried to allocate 20.00 MiB')))
        self.assertTrue(r.is_oom(RuntimeError("[enforce fail at alloc_cpu.cpp:75] DefaultCPUAllocator: can't allocate memory")))
        self.assertTrue(r.is_oom(MemoryError()))
        self.assertFalse(r.is_oom(RuntimeError('mat1 and mat2 shapes cannot be multiplied')))


if __name__ == '__main__':
    unittest.main()
