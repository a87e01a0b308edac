"""Training: SALT itself — fine-tune with code-switching and mixup, evaluate zero-shot per language, write runs
that the Scaling page reads.

    data.py        task data from a SIB-200-layout folder, a hub dataset, or a plain table; checked, never
                   silently dropped; the zero-shot rule (only source-language examples trained and selected on)
    config.py      the methods (baseline, SALT's and the controls a reviewer asks for), the compute-matched
                   budget and the fixed hyper-parameters, each default stated
    head.py        the classifier on the encoder: mean pooling, or the checkpoint's own pretrained pooler
    augment.py     self-augmentation of the training set: substitutes mined by the model (cached), or from a
                   dictionary; code-switched versions drawn as examples are served (or fixed copies, additive)
    engine.py      Hugging Face Trainer: classifier from the encoder, collator with mixup pairs, checkpoints,
                   accuracy and macro-F1; the same code on CPU, GPU and torchrun
    experiment.py  methods x seeds end to end, runs written atomically in the project's schema, resumable
    jobs.py        the Experiments page's background job: started, followed, cancelled, survives a reload
    figures.py     each run's learning curve (training loss, source-dev accuracy, the chosen checkpoint)
"""

from salt_core import lazy_exports

_EXPORTS = {name: "salt_core.training.config" for name in ("METHODS", "Method", "TrainConfig", "Experiment")}
_EXPORTS |= {name: "salt_core.training.data" for name in ("TaskData", "load_task", "read_sib200_folder",
                                                           "read_table_data", "check_zero_shot")}
_EXPORTS |= {name: "salt_core.training.experiment" for name in ("run_experiment", "plan", "read_trained_runs",
                                                                 "read_learning_curves", "TRAINED_HERE")}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
