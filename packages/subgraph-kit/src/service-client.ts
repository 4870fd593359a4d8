// Moved to @supergraph/runtime so services that are not subgraphs (the worker) call subgraphs the
// same way; kept here so subgraphs keep importing it from the kit.
export { callService, ServiceCallError } from '@supergraph/runtime';
