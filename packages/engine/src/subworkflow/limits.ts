/** How deep sub-workflows may nest: a run of depth 10 cannot start another child. */
export const MAX_SUB_WORKFLOW_DEPTH = 10;
