import { TOPIC_VERSION } from './constants.js'

/** The gossip topic of an enclave: `/repram/<network>/<enclave>/1`. */
export function topicFor (network: string, enclave: string): string {
  return `/repram/${network}/${enclave}/${TOPIC_VERSION}`
}
