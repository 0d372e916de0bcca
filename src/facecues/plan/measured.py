"""The measured speeds and memory the cost model (``facecues.plan.costs``) scales.

Each constant says where it was measured: ``README.md``, ``benchmarks/README.md``, or the
calibration runs of the real library functions on this project's 2-core development
machine and on the lent GPU machine.
"""

from __future__ import annotations

# ----------------------------------------------------------------------------------------
# The data (the published sizes of the real sets: facecues.literature).

# Assumed typical full VGGFace2 JPEG (decoded whole, then the box is cropped); its decoding
# on train.workers cores, not the GPU, sets the paper preset's training time.
VGGFACE2_SOURCE_PIXELS = 400 * 500

# ----------------------------------------------------------------------------------------
# Measured speeds.  "H200": the lent GPU machine of benchmarks/README.md (16 cores).
# "2-core machine": this project's development machine (AMD EPYC, 2 cores, 23 GB, local
# disk), shared with other jobs while measured (load average 3-7), so its calib figures are
# the best of several repeats and still on the slow side; calib = the throw-away
# measurement scripts run for this module (the library functions the jobs call, timed and
# their peak RSS read with getrusage / psutil).

REF_WIDTH, REF_SIZE = 64, 224  # the network of the GPU figures: ResNet-50 at 224 px
# The same network's FLOPs per image, as torch.utils.flop_counter counts them (the
# manifests' ``flops``; tests/test_plan.py checks it).
REF_FLOPS = 8_174_272_512
# benchmarks/README.md, gpu_check.py on the H200: training steps as facecues.train runs them
# (AMP, channels_last, SGD, batch 256), random batches, no data loading.
GPU_TRAIN_IMAGES_S = 5923.0
# Same run: forward passes capturing the 50 points, copied to the host as float16 (batch
# 64): 112 images/s of 9,083,904 units, i.e. 2.03 GB/s of device-to-host (pageable) copies,
# which dominate (by the training figure a forward pass takes ~2% of that time).  HDF5
# writes were not included.
GPU_EXTRACT_IMAGES_S = 112.0
GPU_COPY_BYTES_S = GPU_EXTRACT_IMAGES_S * 9_083_904 * 2
# Jobs that run the network without AMP (extract, score_*, finetune) in float32 (TF32
# convs): assumed twice as slow per image as the AMP training figure (not measured).
GPU_FP32_FACTOR = 2.0
# README.md "Where the time goes": a quiet clean-export run of the default study (issue
# 33), its two train jobs side by side on the 2-core machine, 1 thread each (width 16,
# 64 px, batch 64, workers 0 so image loading included): 116.5 s for 10 epochs of 4,000
# images and LFW's 240 per epoch, i.e. ~358 training images/s on one thread.  (An earlier
# figure, ~330 images/s on 2 threads, was timed on a busy machine.)
CPU_TRAIN_IMAGES_S = 358.0
CPU_TRAIN_REF = (16, 64, 1)  # width, input size, threads of that figure
# A forward pass costs about a third of a training step (backward ~ two forwards; assumed,
# the calib timings on the shared machine were too noisy to tell).
FORWARD_FRACTION = 1 / 3
# Decoding + preprocessing one image on one core (PIL; calib, best of 3 x 6 repeats over
# JPEGs of 178x218 to 640x800 px: 0.5 ms at 178x218 and 3.4 ms at 640x800 for a 64 px
# output; +2.9-4.9 ms for a 224 px output): a fixed part, the decode per source pixel and
# the resize / normalise per input pixel.  224 px from a 400 x 500 JPEG: ~5 ms.
LOAD_S_FIXED = 0.3e-3
LOAD_S_PER_SOURCE_PIXEL = 6e-9
LOAD_S_PER_INPUT_PIXEL = 7e-8
# HDF5 on the 2-core machine's local disk (calib): writing row-chunked float16 shards
# 160-420 MB/s; reading a float16 shard into float32 (shards.read_shard) 74-340 MB/s
# of shard, 122 MB/s inside a pls_vip-style fit at m = 100,352 (3.4 of its 8.8 s).
DISK_WRITE_BYTES_S = 250e6
SHARD_READ_BYTES_S = 150e6
# benchmarks/README.md Run 4 (2-core machine, quiet): facecues' PLS fit 0.818 s at
# m = 100,352 and 3.352 s at m = 401,408 with n = 2,048 on 2 BLAS threads, 3.98e-9 and
# 4.08e-9 s per element of X, i.e. ~8.2e-9 core-seconds; pls_vip jobs run on 1 thread
# (Snakemake sets OMP_NUM_THREADS to the job's threads); calib, 1 thread: 1.78 s at
# m = 100,352 (8.7e-9 s per element).
PLS_CORE_S_PER_ELEMENT = 8.2e-9
# calib: unit_features (the whole-map PLS + top filters' PLS + VIP + unit choices) took
# 2.81 s where the whole-map fit alone took 1.78 s: 1.6x.
PLS_FIT_FACTOR = 1.6
# The same quiet run: 1,632 pls_vip jobs at 0.23 s each, of which ~0.05 s is the work of
# the mean point (the rest: the process, numpy, h5py; README.md).
PLS_JOB_START_S = 0.18
# Start-up of a torch job: the extract job's imports took 2.5 s on the quiet 2-core machine
# (issue 33; torch, torchvision, facecues); without torchvision (issue 30's session), the
# quiet default run's extract and score_val jobs took 3.3 s and 4.5 s where this model with
# 2.5 s gave 4.1 and 6.0: ~1.5 s.
TORCH_JOB_START_S = 1.5
# load_vggface2 (calib): 30 s to parse 3,141,890 rows; + a stat of every listed image.
VGG_INDEX_S_PER_IMAGE = 2e-5
# QDA fits of score_val / score_test, batched (facecues.qda on 1-8 features): a fixed part
# and a part per row.  With the rows' part (2e-7 s a row) a fit at 2,048 + 6,144 rows takes
# 1.7 ms (calib, unbatched: 1.5-2.1 ms); at the default study's 512 + 1,024, 0.4 ms, where
# its quiet run's score_val jobs (5.7 s for ~3,500 fits and 1,024 streamed images; README.md
# "Where the time goes": the fits batched in ~0.3 s) leave at most ~1 ms a fit.
QDA_S_PER_FIT = 1e-4
QDA_S_PER_ROW = 2e-7
# Projections of streamed activations onto the saved probes (numpy float32, 1 thread):
# calib 0.62 ns per unit and row for X @ A at m = 802,816; x2.5 for the filter probes'
# projections, the column gathers and the float64 casts.
PROJECT_S_PER_UNIT = 1.5e-9
# synthesize: the default world (10,000 images) in 22.4 s on 2 workers
# (results/benchmarks/synthesize.tsv of a default run), i.e. 4.5 ms per image and core.
SYNTH_CORE_S_PER_IMAGE = 22.4 * 2 / 10_000
# Counterfactual faces (docs/protocol.md section 14), the quiet default run of issue 30's
# second session (200 new people x 3 images, 8 attributes and 3 nuisance controls: 7,200
# faces with the originals): rendering them took 42 s, 5.6 ms a face; a network's job
# 35 s: 7,200 forward passes, the bootstrap over people (2,000 draws of 11 variants in
# ~1 s) and the sensitivity at every probe point (~26 s for 7,200 x 198,144 units).
CF_RENDER_S_PER_FACE = 5.6e-3
CF_BOOTSTRAP_S = 4.5e-5  # a draw of one variant's rises
CF_DEPTH_S_PER_UNIT = 1.8e-8  # a face's distance to its twin at one unit
# Light rules (splits, select, aggregate, tables, figures): 0-3 s each in the quiet default
# run of issue 33 (its log's time stamps; the figure rules import matplotlib: 2-3 s);
# "all" does nothing.
LIGHT_JOB_S = 3.0

# ----------------------------------------------------------------------------------------
# Measured memory (MB = 2^20 bytes; peak RSS on the 2-core machine: Snakemake's
# results/benchmarks/*.tsv max_rss of a default run (config.yaml, CPU) and calib runs).
#   default run, CPU: train 1,072-1,079, finetune 1,063-1,065, extract 1,028-1,048, score_val
#   1,285-1,301, score_test 1,084-1,179, synthesize 213 (2 workers).

# A torch job's own modules (import torch alone: 607 MB RSS; the default train job
# 1,072 MB less its weights, 24 MB, and activations, ~200 MB).
TORCH_BASE_MB = 850
SKLEARN_MB = 120  # score_*: scikit-learn + pandas on top of torch (calib: 724 vs 607 MB)
# Host memory CUDA adds: benchmarks/README.md, H200: a torch + CUDA process's imports took
# 0.91 GB against 0.16 GB for numpy alone; counted whole (an upper bound).
CUDA_CONTEXT_MB = 750
# CPU training keeps ~18 bytes per probe unit and image of the batch for backward (calib:
# 15-19 B at widths 8-32, 64-128 px, batches 16-64, peak RSS after the 4th SGD step less
# before the first, less 3 x the float32 parameters).
TRAIN_ACT_BYTES_PER_UNIT = 18.0
# CPU forward passes (extract, score_*): the captured float32 maps of all 50 points (4 B
# per unit) plus temporaries: the default extract jobs' ~190 MB over the base at batch 128,
# 185,856 units per image: 8 B per unit.
FORWARD_ACT_BYTES_PER_UNIT = 8.0
# VGGFace2's box list in load_vggface2 (calib, 3,141,890 rows): 1.64 GB peak while parsing,
# 887 MB retained (296 B per image); the image names (~80 B per image) are what each
# DataLoader worker ends up copying (reference counts touch their pages).
VGG_INDEX_BYTES_PER_IMAGE = 300
VGG_PARSE_BYTES_PER_IMAGE = 545
VGG_NAMES_BYTES_PER_IMAGE = 80
# A DataLoader worker's private memory besides batches and copied names: calib, the default
# train job with workers 0 and 2: 845 vs 862 MB PSS (RSS 1,084 vs 1,939 MB counts the
# forked, shared pages again); 100 MB each is kept for decoders and Python objects.
WORKER_MB = 100
PREFETCH_FACTOR = 2  # torch DataLoader default: batches in flight per worker
SYNTH_MB = 250  # the default world, 2 workers: 213 MB
SYNTH_BYTES_PER_IMAGE = 2300  # the default world on disk: 22.6 MB for 10,000 JPEGs
# results/atlas of the default study (7.2 MB): a (network, attribute) page with its depth
# figure, 153 kB (51 points); a unit card, 72 kB (thumbnails, means, histogram)
ATLAS_PAGE_BYTES = 153_000
ATLAS_CARD_BYTES = 72_000
ATLAS_S_PER_ITEM = 0.25  # a page or a card (average_k 100): the job, 15.8 s for 32 + 31
# erasure: the Gram matrix of the n x d training sample, core-seconds per n^2 d (numpy's
# float32 matmul on this 2-core machine: ~2e-11; with the centring and the products)
ERASURE_GRAM_S_PER_ELEMENT = 5e-11

MEM_MARGIN = 1.25
MIN_MEM_MB = 2000
TIME_MARGIN = 1.5
TIME_EXTRA_MIN = 5
MIN_RUNTIME_MIN = 10
# A default run's model.pt: 6,285,125 B for 1,545,609 float32 values (103 kB of zip entries,
# names and the identities list); ~20 B more per identity name.
CHECKPOINT_OVERHEAD_BYTES = 100_000
CHECKPOINT_BYTES_PER_IDENTITY = 20
