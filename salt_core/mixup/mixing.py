"""SALT's online embedding mixup: h = r * h_s + (1 - r) * h_t with a random vector r.

During fine-tuning SALT mixes each token's embedding h_s with the embedding h_t of its code-switched
substitute, with r = {r_j}, r_j in [0, 1], sampled anew at each step for each instance. The paper's layer
and distribution of r are not available to us; this project's assumptions (defaults of `MixupConfig`):
the input token (word-piece) embeddings, r_j ~ Uniform(0, 1) drawn per dimension, per token, per instance.
Beta(alpha, alpha), one scalar per token, and one scalar per instance are offered.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from salt_core.errors import InputError

GRANULARITIES = ("dimension", "token", "instance")
DISTRIBUTIONS = ("uniform", "beta")
MAX_SAMPLES = 5000


@dataclass(frozen=True)
class MixupConfig:
    granularity: str = "dimension"  # assumption: one r_j per embedding dimension (SALT's "random vector")
    distribution: str = "uniform"  # assumption: r_j ~ Uniform(0, 1)
    alpha: float = 1.0  # Beta(alpha, alpha) when distribution == "beta"; Beta(1, 1) is uniform

    def validate(self) -> None:
        if self.granularity not in GRANULARITIES:
            raise InputError(f"granularity must be one of {GRANULARITIES}, not {self.granularity!r}.")
        if self.distribution not in DISTRIBUTIONS:
            raise InputError(f"distribution must be one of {DISTRIBUTIONS}, not {self.distribution!r}.")
        if self.distribution == "beta" and not self.alpha > 0:
            raise InputError(f"Beta(alpha, alpha) needs alpha > 0; got {self.alpha}.")


def sample_r(shape: tuple[int, int, int], cfg: MixupConfig, generator: torch.Generator | None = None,
             dtype: torch.dtype = torch.float32, device: str | torch.device = "cpu") -> torch.Tensor:
    """r for embeddings of `shape` = (batch, seq, hidden), broadcastable to it.

    granularity "dimension" -> (batch, seq, hidden); "token" -> (batch, seq, 1); "instance" -> (batch, 1, 1).
    Drawn in float32 on the CPU generator (reproducible everywhere), then moved to dtype and device.
    """
    cfg.validate()
    batch, seq, hidden = shape
    r_shape = {"dimension": (batch, seq, hidden), "token": (batch, seq, 1), "instance": (batch, 1, 1)}[cfg.granularity]
    if cfg.distribution == "uniform":
        r = torch.rand(r_shape, generator=generator)
    else:  # Beta(a, a) as X / (X + Y) with X, Y ~ Gamma(a): torch's Beta has no generator argument
        a = torch.full(r_shape, float(cfg.alpha))
        x, y = torch._standard_gamma(a, generator=generator), torch._standard_gamma(a, generator=generator)
        r = x / (x + y)
    return r.to(dtype=dtype, device=device)


def mix(h_s: torch.Tensor, h_t: torch.Tensor, r: torch.Tensor | float) -> torch.Tensor:
    """h = r * h_s + (1 - r) * h_t, elementwise with broadcasting: r = 1 gives h_s, r = 0 gives h_t.

    h_s and h_t have the same shape (..., hidden); r is a float or any tensor that broadcasts to it
    (per dimension: same shape; per token: (..., 1); per instance: (batch, 1, 1)).
    """
    if h_s.shape != h_t.shape:
        raise InputError(f"h_s and h_t must have the same shape, got {tuple(h_s.shape)} and {tuple(h_t.shape)}.")
    return r * h_s + (1 - r) * h_t
