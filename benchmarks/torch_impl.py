"""PyTorch twins of the benchmarked GANs: the same layers, initialisation, losses and step.

torch is a benchmark extra (``pip install torch==2.13.0``), never a dependency of mxgan.
The twins use the plain one-filter output layer; the two-filter-and-slice form in
mxgan.nets.symbols only works around an MXNet oneDNN bug and computes the same function.
"""
import os

import torch
from torch import nn

from .workloads import NUM_CLASSES, real_batch

BN_EPS = 1e-5 + 1e-12  # as mxgan.nets.symbols
SIGMA, LR, BETAS = 0.02, 2e-4, (0.5, 0.999)


def _batch_norm(channels):
    """BatchNorm with gamma fixed at 1 (MXNet's fix_gamma): only beta learns."""
    norm = nn.BatchNorm2d(channels, eps=BN_EPS)
    norm.weight.requires_grad_(False)
    return norm


def _upsample(in_channels, layers):
    """Bias-free ConvTranspose2d of (filters, kernel, stride, pad); BN + ReLU between, tanh out."""
    modules = []
    for index, (filters, kernel, stride, pad) in enumerate(layers, start=1):
        modules.append(nn.ConvTranspose2d(in_channels, filters, kernel, stride, pad, bias=False))
        if index < len(layers):
            modules += [_batch_norm(filters), nn.ReLU()]
        in_channels = filters
    return nn.Sequential(*modules, nn.Tanh())


def _generator_layers(workload):
    """(filters, kernel, stride, pad) per deconvolution, as in mxgan.nets.symbols."""
    ngf, channels = workload.ngf, workload.image_shape[0]
    if workload.name == "dcgan64":
        return [(8 * ngf, 4, 1, 0), (4 * ngf, 4, 2, 1), (2 * ngf, 4, 2, 1), (ngf, 4, 2, 1),
                (channels, 4, 2, 1)]  # 4, 8, 16, 32, 64 px
    if workload.name == "dcgan28":
        return [(4 * ngf, 4, 1, 0), (2 * ngf, 4, 2, 1), (ngf, 4, 2, 2),
                (channels, 4, 2, 1)]  # 4, 8, 14, 28 px
    return [(ngf[0], 4, 1, 0), (ngf[1], 3, 2, 1), (ngf[2], 4, 2, 1), (1, 4, 2, 1)]  # 4, 7, 14, 28


class Generator(nn.Module):
    """Noise (B, nz, 1, 1), plus one-hot digits (B, 10, 1, 1) for the CGAN, to tanh images."""

    def __init__(self, workload):
        super().__init__()
        in_channels = workload.nz + (NUM_CLASSES if workload.conditional else 0)
        self.net = _upsample(in_channels, _generator_layers(workload))

    def forward(self, noise, cond=None):
        if cond is not None:  # digit first, then noise, as mxgan's concat
            noise = torch.cat([cond.flatten(1), noise.flatten(1)], dim=1)[:, :, None, None]
        return self.net(noise)


def _downsample(in_channels, filters):
    """4x4 stride-2 bias-free convolutions; BN after all but the first; LeakyReLU(0.2)."""
    modules = []
    for index, out_channels in enumerate(filters):
        modules.append(nn.Conv2d(in_channels, out_channels, 4, 2, 1, bias=False))
        if index > 0:
            modules.append(_batch_norm(out_channels))
        modules.append(nn.LeakyReLU(0.2))
        in_channels = out_channels
    return modules


def dcgan_discriminator(workload):
    """Images (B, C, H, W) to logits (B, 1), as mxgan.nets.symbols.dcgan_discriminator."""
    ndf, channels = workload.ndf, workload.image_shape[0]
    if workload.name == "dcgan64":
        trunk = _downsample(channels, [ndf, 2 * ndf, 4 * ndf, 8 * ndf])  # 8*ndf x 4 x 4
        head = nn.Conv2d(8 * ndf, 1, 4, 1, 0, bias=False)
    else:
        trunk = _downsample(channels, [ndf, 2 * ndf, 4 * ndf])  # 4*ndf x 3 x 3
        head = nn.Conv2d(4 * ndf, 1, 4, 2, 1, bias=False)
    return nn.Sequential(*trunk, head, nn.Flatten())


def _conv_bn_elu(in_channels, out_channels, kernel, stride):
    return [nn.Conv2d(in_channels, out_channels, kernel, stride, bias=False),
            _batch_norm(out_channels), nn.ELU(alpha=0.25)]


class ConditionalDiscriminator(nn.Module):
    """(image, one-hot digit) pairs to logits (B, 1), as mxgan.nets.symbols.cgan_discriminator."""

    def __init__(self, workload):
        super().__init__()
        ndf = workload.ndf
        self.net = nn.Sequential(
            *_conv_bn_elu(1 + NUM_CLASSES, ndf[0], 3, 1), nn.MaxPool2d(2),  # ndf[0] x 13 x 13
            *_conv_bn_elu(ndf[0], ndf[1], 3, 2),  # ndf[1] x 6 x 6
            *_conv_bn_elu(ndf[1], ndf[2], 4, 1),  # ndf[2] x 3 x 3
            nn.Flatten(), nn.Linear(9 * ndf[2], 1))

    def forward(self, images, cond):
        cond = cond.expand(-1, -1, *images.shape[2:])  # (B, 10, H, W)
        return self.net(torch.cat([images, cond], dim=1))


def _initialise(net):
    """Normal(0.02) weights and zero biases; BatchNorm keeps gamma 1, beta 0 (MXNet's Normal)."""
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(module.weight, 0.0, SIGMA)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return net


class TorchGAN:
    """The twin of ``workload`` on ``device``, stepping on one fixed real batch."""

    def __init__(self, workload, device):
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads())))
        self.device = torch.device("cuda" if device == "gpu" else "cpu")
        self.workload = workload
        self.net_g = _initialise(Generator(workload)).to(self.device)
        discriminator = ConditionalDiscriminator if workload.conditional else dcgan_discriminator
        self.net_d = _initialise(discriminator(workload)).to(self.device)
        self.opt_g, self.opt_d = (torch.optim.Adam(_trainable(net), lr=LR, betas=BETAS)
                                  for net in (self.net_g, self.net_d))
        images, digits = real_batch(workload)
        self.real_u8 = torch.from_numpy(images)
        self.cond_real = _one_hot(torch.from_numpy(digits))
        self.labels = {value: torch.full((workload.batch_size, 1), float(value), device=self.device)
                       for value in (0, 1)}

    def step(self):
        """One step: D on fake + real summed, one D update, then G through the updated D."""
        real = self.real_u8.to(self.device).float() / 127.5 - 1
        noise, cond_fake = self._draw()
        fake = self.net_g(noise, *cond_fake)
        # (1) D maximises log D(x) + log(1 - D(G(z))): both gradients summed, then one update.
        self.opt_d.zero_grad(set_to_none=True)
        self._d_loss(fake.detach(), cond_fake, 0).backward()
        self._d_loss(real, self._cond(self.cond_real), 1).backward()
        self.opt_d.step()
        # (2) G maximises log D(G(z)) through the updated D.
        self.opt_g.zero_grad(set_to_none=True)
        self._d_loss(fake, cond_fake, 1).backward()
        self.opt_g.step()

    def _draw(self):
        """Noise, and for the CGAN the digits asked for, as a (possibly empty) tuple."""
        size = self.workload.batch_size
        noise = torch.randn(size, self.workload.nz, 1, 1, device=self.device)
        if not self.workload.conditional:
            return noise, ()
        digits = torch.randint(0, NUM_CLASSES, (size,), device=self.device)
        return noise, (_one_hot(digits),)

    def _cond(self, cond):
        return (cond.to(self.device),) if self.workload.conditional else ()

    def _d_loss(self, images, cond, label):
        logits = self.net_d(images, *cond)
        return nn.functional.binary_cross_entropy_with_logits(logits, self.labels[label])

    def sync(self):
        """Wait for queued GPU work (the CPU runs synchronously)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize()


def _trainable(net):
    return [param for param in net.parameters() if param.requires_grad]


def _one_hot(digits):
    """Digits (B,) to float one-hot (B, 10, 1, 1)."""
    return nn.functional.one_hot(digits, NUM_CLASSES).float()[:, :, None, None]


build = TorchGAN
