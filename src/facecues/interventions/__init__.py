"""Interventions: change a network's activations at a probe point, then measure what changes.

A probe reads what a probe point holds; an intervention acts on it, inside the
forward pass, and measures the consequences: what the probes find afterwards,
at that point and downstream, and what face recognition (LFW verification)
loses. This part sits above the parts it drives (networks, data, training's
verification, the probes' maths) and below the study that schedules it.

One module per intervention, each giving its workflow rule one entry point
and the columns of the tables it writes:

- ``erasure``: erase one attribute at each erasure point (the eraser's maths,
  LEACE or orthogonal, is ``facecues.probes.erasure``); ``erase_attribute``
  (the rows of the erasure and downstream tables, ``COLUMNS``,
  ``DOWNSTREAM_COLUMNS``), ``extra_fit_rows`` (the eraser's extra CelebA
  images), ``erasure_sites`` (the points' places, checked);
- counterfactual renders (next): the same network on images of the same face
  with one attribute changed.

Nothing is imported here, so that a job imports only the intervention it runs.
"""
