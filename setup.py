"""Install mxgan: GANs on Apache MXNet's Symbol and Module API.

GPU users keep their CUDA build of MXNet by naming it before installing, e.g.
``MXGAN_MXNET=mxnet-cu112 pip install -e .`` (any 1.9.1 build provides ``import mxnet``).

MXNet 1.9.1's wheel pins ``numpy<2``, and Python 3.13 has only numpy 2, so on 3.13 pip cannot put
MXNet into the same resolution: install it beside this package without its pins,
``pip install --no-deps mxnet==1.9.1`` (``make`` does), which is why MXNet's own requirements
(requests, graphviz) are listed here for 3.13. ``mxgan.common.compat`` makes MXNet run on numpy 2.
"""
import os
import sys

from setuptools import find_packages, setup

if sys.version_info < (3, 9):
    sys.exit("mxgan needs Python 3.9 or newer (tested on 3.9-3.13); this is Python %d.%d."
             % sys.version_info[:2])

MXNET = os.environ.get("MXGAN_MXNET", "mxnet")
PY_OLD = 'python_version < "3.12"'      # numpy 1.23, the numpy MXNet 1.9.1 was built for
PY_312 = 'python_version == "3.12"'     # numpy 1.26, the last before 2.0
PY_NEW = 'python_version >= "3.13"'     # numpy 2 only

setup(
    name="mxgan",
    version="0.1.0",
    description="DCGAN and conditional GAN on Apache MXNet's Symbol and Module API",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Intended Audience :: Science/Research",
        "Intended Audience :: Developers",
        "License :: OSI Approved :: Apache Software License",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
        "Topic :: Scientific/Engineering :: Image Processing",
    ],
    packages=find_packages(include=["mxgan", "mxgan.*"]),
    python_requires=">=3.9",
    install_requires=[
        MXNET + '==1.9.1; python_version < "3.13"',
        "numpy>=1.21,<1.24; " + PY_OLD,
        "numpy>=1.26,<2; " + PY_312,
        "numpy>=2.1; " + PY_NEW,
        # MXNet imports distutils (numpy_dispatch_protocol.py:47), gone from Python 3.12 on.
        'setuptools; python_version >= "3.12"',
        "requests; " + PY_NEW,        # MXNet's own requirements, skipped by --no-deps
        "graphviz<0.9; " + PY_NEW,
        "opencv-python-headless>=4.5,<4.12",
        "matplotlib>=3.5,<3.11",
        "pillow>=8",  # GIFs (mxgan.showcase); matplotlib needs it too
        "tqdm>=4.60",
    ],
    extras_require={"test": ["pytest>=7", "ruff>=0.15,<1",  # ruff: make check's lint
                             # tests/test_tutorials.py runs docs/*.ipynb; docs/make_notebooks.py
                             # writes them. Bounded to the major versions tested (Python 3.11:
                             # nbformat 5.11.1, nbclient 0.11.0, ipykernel 7.4.0).
                             "nbformat>=5.7,<6", "nbclient>=0.7,<0.12", "ipykernel>=6.0,<8"],
                    "bench": ["torch==2.13.0"],  # PyTorch twins in benchmarks/, never at runtime
                    # python -m mxgan.export: MXNet's exporter imports onnx.mapping, gone in
                    # onnx 1.19; onnxruntime 1.23 runs the opset 23 that the exporter stamps
                    # with onnx 1.18. Python 3.9's last onnxruntime (1.19) runs opset 21: onnx 1.16.
                    "onnx": ['onnx==1.18.0; python_version >= "3.10"',
                             'onnxruntime==1.23.2; python_version >= "3.10"',
                             'onnx==1.16.2; python_version < "3.10"',
                             'onnxruntime==1.19.2; python_version < "3.10"'],
                    # --tensorboard: tensorboardX writes the event files (it takes numpy, any
                    # protobuf >= 3.20); TensorBoard shows them and its reader checks them in
                    # the tests. Both install on Python 3.9-3.13 (mxboard needs protobuf 3.20).
                    "tensorboard": ["tensorboardX==2.6.5", "tensorboard==2.21.0"],
                    # make docs: the site (mkdocs.yml). Material 9.8 needs Python 3.11, so the
                    # site builds on 3.11-3.13; tests/test_site.py skips it on older ones.
                    "docs": [pin + '; python_version >= "3.11"' for pin in (
                        "mkdocs==1.6.1", "mkdocs-material==9.8.1", "pymdown-extensions==13.1",
                        "mkdocstrings[python]==1.0.8", "mkdocstrings-python==2.0.11",
                        "mkdocs-jupyter==0.26.3")]},
)
