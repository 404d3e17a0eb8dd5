"""BlazeFace (MediaPipe short-range face detector) pre- and post-processing in numpy.

Input: 128x128 RGB letterboxed, scaled to [-1, 1]. Outputs: 896 anchors x 16 regressors
(box centre, size, 6 keypoints) and 896 logits. Anchors follow MediaPipe's SSD anchor calculator.

>>> a = anchors(128, (8, 16, 16, 16))
>>> a.shape, a[0].tolist(), a[-1].tolist()
((896, 2), [0.03125, 0.03125], [0.9375, 0.9375])
>>> boxes = np.array([[0.1, 0.1, 0.5, 0.5], [0.12, 0.1, 0.52, 0.5], [0.6, 0.6, 0.9, 0.9]])
>>> kept = weighted_nms(boxes, np.array([0.9, 0.8, 0.7]), iou_threshold=0.3)
>>> [(round(float(s), 2), [round(float(v), 3) for v in b]) for b, s in kept]
[(0.9, [0.109, 0.1, 0.509, 0.5]), (0.7, [0.6, 0.6, 0.9, 0.9])]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from featurizers.video.features import block_mean

F64 = npt.NDArray[np.float64]


def anchors(size: int, strides: tuple[int, ...]) -> F64:
    """Anchor centres (x, y) in [0, 1]; two per cell per layer (aspect 1 plus interpolated scale)."""
    out = []
    layer = 0
    while layer < len(strides):
        same = layer
        while same < len(strides) and strides[same] == strides[layer]:
            same += 1
        per_cell = 2 * (same - layer)
        cells = size // strides[layer]
        centres = (np.arange(cells) + 0.5) / cells
        yy, xx = np.meshgrid(centres, centres, indexing="ij")
        grid = np.stack([xx.ravel(), yy.ravel()], axis=1)
        out.append(np.repeat(grid, per_cell, axis=0))
        layer = same
    return np.concatenate(out)


def iou(box: F64, boxes: F64) -> F64:
    """Intersection over union of one (xmin, ymin, xmax, ymax) box with many."""
    lo = np.maximum(box[:2], boxes[:, :2])
    hi = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0.0, None), axis=1)
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    result: F64 = inter / np.maximum(area + areas - inter, 1e-12)
    return result


def weighted_nms(boxes: F64, scores: F64, iou_threshold: float) -> list[tuple[F64, float]]:
    """MediaPipe's weighted non-max suppression: overlapping boxes are averaged by score."""
    order = np.argsort(-scores)
    boxes, scores = boxes[order], scores[order]
    kept: list[tuple[F64, float]] = []
    remaining = np.ones(len(boxes), dtype=bool)
    for i in range(len(boxes)):
        if not remaining[i]:
            continue
        overlap = remaining & (iou(boxes[i], boxes) > iou_threshold)
        overlap[i] = True
        w = scores[overlap]
        kept.append(((boxes[overlap] * w[:, None]).sum(axis=0) / w.sum(), float(scores[i])))
        remaining &= ~overlap
    return kept


@dataclass(frozen=True)
class Letterbox:
    """How a frame was fitted into the square input: scale and padding (fractions of the input)."""

    pad_x: float
    pad_y: float

    def unpad(self, boxes: F64) -> F64:
        """Boxes from input coordinates back to frame coordinates (fractions of width/height)."""
        sx, sy = 1.0 - 2.0 * self.pad_x, 1.0 - 2.0 * self.pad_y
        out = boxes.copy()
        out[:, [0, 2]] = (boxes[:, [0, 2]] - self.pad_x) / sx
        out[:, [1, 3]] = (boxes[:, [1, 3]] - self.pad_y) / sy
        return out


def letterbox(image: npt.NDArray[np.uint8], size: int) -> tuple[npt.NDArray[np.float32], Letterbox]:
    """Resize keeping the aspect ratio (area average, then bilinear), pad to ``size`` square, [-1, 1]."""
    h, w = image.shape[:2]
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    factor = max(1, int(1.0 / scale))
    img = block_mean(image, factor)
    if img.shape[:2] == (nh, nw):
        return _pad(img, size, nh, nw)
    ys = np.clip((np.arange(nh) + 0.5) * img.shape[0] / nh - 0.5, 0, img.shape[0] - 1)
    xs = np.clip((np.arange(nw) + 0.5) * img.shape[1] / nw - 0.5, 0, img.shape[1] - 1)
    y0, x0 = ys.astype(np.intp), xs.astype(np.intp)
    y1, x1 = np.minimum(y0 + 1, img.shape[0] - 1), np.minimum(x0 + 1, img.shape[1] - 1)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bottom = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return _pad(top * (1 - fy) + bottom * fy, size, nh, nw)


def _pad(resized: F64, size: int, nh: int, nw: int) -> tuple[npt.NDArray[np.float32], Letterbox]:
    out = np.zeros((size, size, 3), dtype=np.float32)  # 0 is mid-grey in [-1, 1]
    oy, ox = (size - nh) // 2, (size - nw) // 2
    out[oy:oy + nh, ox:ox + nw] = resized / 127.5 - 1.0
    return out, Letterbox(pad_x=ox / size, pad_y=oy / size)


def decode(raw_boxes: F64, raw_scores: F64, anchor_xy: F64, size: int, score_threshold: float) -> tuple[F64, F64]:
    """Boxes (xmin, ymin, xmax, ymax in input fractions) and sigmoid scores above the threshold."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1), -80.0, 80.0)))
    keep = scores > score_threshold
    reg = raw_boxes.reshape(len(anchor_xy), -1)[keep, :4] / size
    centre = reg[:, :2] + anchor_xy[keep]
    half = reg[:, 2:4] / 2.0
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return boxes[valid], scores[keep][valid]
