"""Sites: where a tuner's terms enter an unmodified backbone.

Written once against :class:`~mmpoly.models.archs.ArchDescription`:
residual branches (adapters), named Linear layers (LoRA, scaling), prompt
tokens in attention, forward overrides and task-stream features.
"""
from .forward_sites import (ForwardOverride, add_prompt_tokens,
                            tokens_as_feature_map)
from .linear_sites import (add_linear_branch, frozen_linear, override_linear,
                           replace_linear_output, scale_linear_input,
                           scale_linear_output)
from .residual_sites import (add_adapter_branches, add_parallel_branch,
                             add_serial_branch, block_forward_input_needs_grad,
                             check_placement, keep_token_grid,
                             transform_residual_sum, transform_residual_sums)

__all__ = [
    'ForwardOverride', 'add_prompt_tokens', 'tokens_as_feature_map',
    'add_linear_branch', 'frozen_linear', 'override_linear',
    'replace_linear_output', 'scale_linear_input', 'scale_linear_output',
    'add_adapter_branches', 'add_parallel_branch', 'add_serial_branch',
    'block_forward_input_needs_grad', 'check_placement', 'keep_token_grid',
    'transform_residual_sum', 'transform_residual_sums'
]
