"""Install mxgan: GANs on Apache MXNet's Symbol and Module API.

GPU users keep their CUDA build of MXNet by naming it before installing, e.g.
``MXGAN_MXNET=mxnet-cu112 pip install -e .`` (any 1.9.1 build provides ``import mxnet``).
"""
import os
import sys

from setuptools import find_packages, setup

if not (3, 8) <= sys.version_info[:2] <= (3, 11):
    sys.exit("mxgan needs Python 3.8-3.11: MXNet 1.9.1 needs numpy<1.24, which has no wheels "
             "for Python %d.%d. Create the environment with python3.11." % sys.version_info[:2])

MXNET = os.environ.get("MXGAN_MXNET", "mxnet")

setup(
    name="mxgan",
    version="0.1.0",
    description="DCGAN and conditional GAN on Apache MXNet's Symbol and Module API",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["mxgan", "mxgan.*"]),
    python_requires=">=3.8,<3.12",
    install_requires=[
        MXNET + "==1.9.1",
        "numpy>=1.21,<1.24",
        "opencv-python-headless>=4.5,<4.12",
        "matplotlib>=3.5,<3.11",
        "pillow>=8",  # GIFs (mxgan.showcase); matplotlib needs it too
        "tqdm>=4.60",
    ],
    extras_require={"test": ["pytest>=7",
                             # tests/test_tutorials.py runs docs/*.ipynb; docs/make_notebooks.py
                             # writes them. Bounded to the major versions tested (Python 3.11:
                             # nbformat 5.11.1, nbclient 0.11.0, ipykernel 7.4.0).
                             "nbformat>=5.7,<6", "nbclient>=0.7,<0.12", "ipykernel>=6.0,<8"],
                    "bench": ["torch==2.13.0"],  # PyTorch twins in benchmarks/, never at runtime
                    # python -m mxgan.export: MXNet's exporter imports onnx.mapping, gone in
                    # onnx 1.19; onnxruntime 1.15-1.17 need numpy>=1.24; 1.23 runs the opset 23
                    # that the exporter stamps with onnx 1.18.
                    "onnx": ["onnx==1.18.0", "onnxruntime==1.23.2"]},
)
