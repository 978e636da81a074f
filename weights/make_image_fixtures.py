#!/usr/bin/env python3
"""Makes the image-preprocessing fixtures: synthetic images (no downloaded photos) in the modes a
user's files come in, and what torchvision makes of them: Resize(R), CenterCrop(C), ToTensor() on the
PIL-loaded image, saved as float32 .npy. netc's image input must match them exactly (PreprocessTest).
JPEGs (grayscale, CMYK, color baseline and progressive) also get PIL's decoded RGB, since JPEG decoders may differ slightly.

Runs with Debian's python3-torchvision, python3-pil and python3-numpy.
"""
import io
import os
import sys

try:
    import numpy as np
    from PIL import Image, ImageDraw
    import torchvision.transforms as T
except ImportError as e:
    sys.exit(f"make_image_fixtures.py: {e}: install Debian's python3-numpy, python3-pil and python3-torchvision "
             "(apt-get install python3-torchvision python3-pil) and run it with /usr/bin/python3")

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "images")
os.makedirs(here, exist_ok=True)
rng = np.random.default_rng(3)


def scene(w, h):
    """Gradients, shapes and noise: edges and texture that resampling has to get right."""
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 127 // max(w + h - 2, 1)], -1).astype(np.uint8)
    im = Image.fromarray(img, "RGB")
    d = ImageDraw.Draw(im)
    d.ellipse([w // 5, h // 4, w // 2, h * 3 // 4], fill=(230, 120, 20))
    d.rectangle([w * 3 // 5, h // 6, w * 9 // 10, h // 2], fill=(20, 60, 200))
    d.line([0, h - 1, w - 1, 0], fill=(255, 255, 255), width=3)
    arr = np.asarray(im).astype(np.int16) + rng.integers(-12, 13, size=(h, w, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")


cases = {
    "rgb_wide": (scene(300, 200), "RGB"),
    "rgb_tall": (scene(157, 233), "RGB"),
    "gray": (scene(211, 190).convert("L"), "L"),
    "rgba": (scene(190, 260).convert("RGBA"), "RGBA"),
    "palette": (scene(240, 180).convert("P", palette=Image.ADAPTIVE, colors=64), "P"),
}
resize, crop = 80, 64
pipeline = T.Compose([T.Resize(resize), T.CenterCrop(crop), T.ToTensor()])
for name, (im, mode) in cases.items():
    if mode == "RGBA":
        a = np.asarray(im).copy()
        a[..., 3] = np.linspace(0, 255, a.shape[1], dtype=np.uint8)[None, :]
        im = Image.fromarray(a, "RGBA")
    path = os.path.join(here, name + ".png")
    im.save(path)
    x = pipeline(Image.open(path).convert("RGB")).numpy().astype(np.float32)
    np.save(os.path.join(here, name + f"_r{resize}_c{crop}.npy"), x)

# one image through the full ImageNet sizes
full = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor()])
np.save(os.path.join(here, "rgb_wide_r256_c224.npy"), full(Image.open(os.path.join(here, "rgb_wide.png")).convert("RGB")).numpy())

# bicubic (torchvision's EfficientNet weights): shrinking, and enlarging (rgb_tall's 157-pixel side to 256), where the
# filter's negative lobes overshoot and each pass clips to [0, 255]
bicubic = T.InterpolationMode.BICUBIC
for name, r, c in [("rgb_wide", 80, 64), ("rgb_tall", 80, 64), ("rgb_tall", 256, 224)]:
    pipe = T.Compose([T.Resize(r, interpolation=bicubic), T.CenterCrop(c), T.ToTensor()])
    np.save(os.path.join(here, f"{name}_r{r}_c{c}_bicubic.npy"), pipe(Image.open(os.path.join(here, name + ".png")).convert("RGB")).numpy())

# JPEGs: what PIL decodes them to (RGB, uint8 as float32)
for name, mode in [("gray_jpeg", "L"), ("cmyk_jpeg", "CMYK")]:
    path = os.path.join(here, name + ".jpg")
    scene(120, 96).convert(mode).save(path, quality=95)
    rgb = np.asarray(Image.open(path).convert("RGB")).astype(np.float32)
    np.save(os.path.join(here, name + "_rgb.npy"), rgb)
# color JPEGs, the common case: baseline and progressive with PIL's default 4:2:0 chroma, and 4:2:2 (the
# subsampled chroma is upsampled by the decoder); from a random stream of their own, so the files above stay
rng = np.random.default_rng(5)
for name, options in [("color_jpeg", {}), ("color_progressive_jpeg", {"progressive": True}), ("color_422_jpeg", {"subsampling": "4:2:2"})]:
    path = os.path.join(here, name + ".jpg")
    scene(120, 96).save(path, quality=90, **options)
    rgb = np.asarray(Image.open(path).convert("RGB")).astype(np.float32)
    np.save(os.path.join(here, name + "_rgb.npy"), rgb)


def without_jfif_ids_012(data):
    """A JPEG as some encoders write it: no JFIF segment, component IDs 0, 1, 2 (libjpeg then guesses YCbCr)."""
    b = bytearray(data)
    assert b[2:4] == b"\xff\xe0", "PIL writes a JFIF segment first"
    b = b[:2] + b[4 + (b[4] << 8 | b[5]):]
    i = 2
    while True:
        marker, length = b[i + 1], b[i + 2] << 8 | b[i + 3]
        if marker in (0xC0, 0xC2):
            for c in range(b[i + 9]):
                b[i + 10 + 3 * c] -= 1
        if marker == 0xDA:
            for c in range(b[i + 4]):
                b[i + 5 + 2 * c] -= 1
            return bytes(b)
        i += 2 + length


# color JPEGs without a JFIF segment whose component IDs are 0, 1, 2: YCbCr by libjpeg's guess (PIL's decoder),
# which ImageIO read as RGB unless subsampled
rng = np.random.default_rng(7)
for name, subsampling in [("ids012_jpeg", 0), ("ids012_420_jpeg", 2)]:
    path = os.path.join(here, name + ".jpg")
    buffer = io.BytesIO()
    scene(64, 48).save(buffer, "JPEG", quality=90, subsampling=subsampling)
    with open(path, "wb") as f:
        f.write(without_jfif_ids_012(buffer.getvalue()))
    rgb = np.asarray(Image.open(path).convert("RGB")).astype(np.float32)
    np.save(os.path.join(here, name + "_rgb.npy"), rgb)


def with_adobe_transform_0(data):
    """A JFIF JPEG with an Adobe segment of transform 0 after its JFIF one: YCbCr to libjpeg (JFIF's word wins)."""
    assert data[2:4] == b"\xff\xe0", "PIL writes a JFIF segment first"
    end = 4 + (data[4] << 8 | data[5])
    adobe = b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x00"
    return data[:end] + adobe + data[end:]


# a JFIF JPEG with an Adobe segment of transform 0, which ImageIO refused ("Unsupported Image Type")
rng = np.random.default_rng(9)
path = os.path.join(here, "jfif_adobe0_jpeg.jpg")
buffer = io.BytesIO()
scene(64, 48).save(buffer, "JPEG", quality=90)
with open(path, "wb") as f:
    f.write(with_adobe_transform_0(buffer.getvalue()))
rgb = np.asarray(Image.open(path).convert("RGB")).astype(np.float32)
np.save(os.path.join(here, "jfif_adobe0_jpeg_rgb.npy"), rgb)
with open(os.path.join(here, "broken.png"), "wb") as f:
    f.write(open(os.path.join(here, "rgb_wide.png"), "rb").read()[:300])
print("wrote", sorted(os.listdir(here)))
