/** Most members tracked per enclave: bounds memory against a flood of fake peers. */
export const MAX_MEMBERS = 1024
