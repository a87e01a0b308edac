"""Training: SALT itself — fine-tune with code-switching and mixup, evaluate zero-shot per language, write runs
that the Scaling page reads. The stages, in the order a run's data flows through them once:

    config.py      settings: the methods (SALT's and the controls a reviewer asks for), the compute-matched budget
                   and the fixed hyper-parameters, each default stated
    plan.py        the plan, checked before training: languages, augmentation languages, miner, pooling, the
                   budget in steps; each run's fingerprint and id
    data.py        task data from a SIB-200-layout folder, a hub dataset, or a plain table; checked, never
                   silently dropped; the zero-shot rule (only source-language examples trained and selected on)
    augment.py     self-augmentation: substitutes mined by the model (cached) or from a dictionary; examples drawn
                   code-switched or mixed as they are served (or fixed copies, additive)
    head.py        the classifier on the encoder: mean pooling, or the checkpoint's own pretrained pooler
    engine.py      fit: Hugging Face Trainer, collator with mixup pairs, checkpoints, the learning curve; the same
                   code on CPU, GPU and torchrun
    evaluate.py    every language's test split, zero-shot: accuracy, macro-F1, each sentence's prediction
    record.py      runs written atomically in the project's schema, with their details; the readers
    experiment.py  the stages in order for methods x seeds, with tuning on source dev; resumable
    figures.py     each run's learning curve (training loss, source-dev accuracy, the chosen checkpoint)
    jobs.py        the Experiments page's background job: started, followed, cancelled, survives a reload
"""

from salt_core import lazy_exports

_EXPORTS = {name: "salt_core.training.config" for name in ("METHODS", "Method", "TrainConfig", "Experiment")}
_EXPORTS |= {name: "salt_core.training.data" for name in ("TaskData", "load_task", "read_sib200_folder",
                                                           "read_table_data", "check_zero_shot")}
_EXPORTS |= {name: "salt_core.training.experiment" for name in ("run_experiment", "DEFAULT_GRID")}
_EXPORTS |= {name: "salt_core.training.plan" for name in ("Plan",)}
_EXPORTS |= {name: "salt_core.training.record" for name in ("read_trained_runs", "read_learning_curves",
                                                             "read_predictions", "TRAINED_HERE")}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
