"""The code MLflow runs to rebuild a logged judge's pyfunc model ("models from code").

:func:`~memalign_nb.integrations.mlflow_model.log_judge` logs this file rather than a
pickled model object, so loading a judge runs memalign-nb's own code and unpickles nothing
(MLflow warns about pickled models for that reason). The judge itself is the model's
``judge`` artifact, read by :meth:`JudgeModel.load_context`.
"""

import mlflow.models

from memalign_nb.integrations.mlflow_model import JudgeModel

mlflow.models.set_model(JudgeModel())
