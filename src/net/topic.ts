import { TOPIC_VERSION } from './constants.js'

/** The gossip topic of an enclave: `/repram/<network>/<enclave>/1`. */
export function topicFor (network: string, enclave: string): string {
  return `/repram/${network}/${enclave}/${TOPIC_VERSION}`
}

/**
 * The gossip topic of a jurisdiction inside an enclave:
 * `/repram/<network>/<enclave>/jurisdiction/<code>/1`. Only nodes in that jurisdiction
 * subscribe to it; writes restricted to it are gossiped there instead of on the enclave
 * topic, so gossip never carries them to a node outside (docs/compliance.md "Jurisdictions").
 */
export function jurisdictionTopic (network: string, enclave: string, jurisdiction: string): string {
  return `/repram/${network}/${enclave}/jurisdiction/${jurisdiction}/${TOPIC_VERSION}`
}
