"""The default passage runtime converts, exports and embeds with no network and a fresh cache."""
from __future__ import annotations

from test_offline import _run_offline


def test_passage_runtime_exports_and_embeds_offline(tmp_path):
    out = _run_offline(
        "import os\n"
        "os.environ.pop('HF_HUB_OFFLINE', None)\n"  # index.embed itself must keep the hub away
        "from index.embed import Embedder\n"
        "e = Embedder()\n"
        "v = e.embed_passages(['Cơ quan chủ trì: Sở Thông tin và Truyền thông.', 'Thời gian: Quý III/2024.'])\n"
        "print(e.runtime, e.onnx_folder, v.shape[0], v.shape[1], round(float((v[0] * v[0]).sum()), 3))\n",
        tmp_path, {"TRACUU_CACHE": str(tmp_path / "cache")})
    runtime, folder, n, dim, norm = out.strip().split("\n")[-1].split()
    assert runtime == "onnx-int8" and folder.startswith(str(tmp_path / "cache"))
    assert (n, dim, norm) == ("2", "384", "1.0")
