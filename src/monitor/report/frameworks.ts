/**
 * The disposal and erasure controls each report maps its evidence to. The quoted texts are
 * the controls' own words (GDPR: Regulation (EU) 2016/679; HIPAA: 45 CFR 164.310(d)(2);
 * PCI DSS v4.0/v4.0.1 requirement 3.2.1; SOC 2: AICPA Trust Services Criteria 2017, revised
 * points of focus 2022), shortened with "…" where a passage does not bear on deletion.
 * Check them against the current official text before relying on a report.
 */

/** Frameworks a report can be written for. */
export const FRAMEWORKS = ['gdpr', 'hipaa', 'pci-dss', 'soc2'] as const
export type Framework = typeof FRAMEWORKS[number]

/** One control and how REPRAM's evidence bears on it. */
export interface Control {
  /** The control's reference, e.g. `Art. 17(1)`. */
  id: string
  title: string
  /** The control's words (quoted). */
  text: string
  /** What the proofs in this report show for it. */
  evidence: string
  /** What the organisation still has to show by other means. */
  outOfScope: string
}

/** A framework's heading and controls. */
export interface FrameworkInfo {
  id: Framework
  name: string
  /** The instrument and version quoted. */
  source: string
  controls: Control[]
}

const PROOFS = 'Signed deletion attestations from independent nodes, each verified (Ed25519 over the canonical bytes) and counted against the proof quorum, per write, with the time each node deleted its copy.'

/** Every framework's mapping. */
export const FRAMEWORK_INFO: Readonly<Record<Framework, FrameworkInfo>> = {
  gdpr: {
    id: 'gdpr',
    name: 'GDPR',
    source: 'Regulation (EU) 2016/679 (General Data Protection Regulation)',
    controls: [
      {
        id: 'Art. 17(1)',
        title: 'Right to erasure (\u2018right to be forgotten\u2019)',
        text: 'The data subject shall have the right to obtain from the controller the erasure of personal data concerning him or her without undue delay and the controller shall have the obligation to erase personal data without undue delay where one of the following grounds applies: (a) the personal data are no longer necessary in relation to the purposes for which they were collected or otherwise processed; \u2026',
        evidence: `${PROOFS} Each write's TTL is its purpose-bound lifetime; the proofs show when each node erased it after the TTL, and the k-of-n status shows whether enough independent nodes did so by the deadline ("without undue delay" measured as the deadline after expiry).`,
        outOfScope: 'Erasure of copies outside the REPRAM nodes (clients, backups, logs of other systems), handling of data-subject requests, and notifying recipients (Art. 17(2), Art. 19).'
      },
      {
        id: 'Art. 5(1)(e)',
        title: 'Storage limitation',
        text: 'Personal data shall be: \u2026 (e) kept in a form which permits identification of data subjects for no longer than is necessary for the purposes for which the personal data are processed; \u2026 (\u2018storage limitation\u2019)',
        evidence: 'Every record in REPRAM carries a mandatory TTL and is never written to disk by a node; the proofs and the per-key-hash timelines show that stored copies ended at their expiry, and the gaps section shows where the evidence is incomplete.',
        outOfScope: 'Choosing TTLs that match the purpose, and the retention of this evidence itself (it holds key hashes and write ids, not personal data in clear; use opaque storage keys).'
      },
      {
        id: 'Art. 5(2)',
        title: 'Accountability',
        text: 'The controller shall be responsible for, and be able to demonstrate compliance with, paragraph 1 (\u2018accountability\u2019).',
        evidence: 'This report and its JSON export are the demonstration for the writes it covers: every proof can be re-verified offline by a third party without trusting REPRAM or the monitor.',
        outOfScope: 'Records of processing activities (Art. 30) and the rest of the compliance programme.'
      }
    ]
  },
  hipaa: {
    id: 'hipaa',
    name: 'HIPAA Security Rule',
    source: '45 CFR Part 164, Subpart C: \u00a7164.310(d) Device and media controls',
    controls: [
      {
        id: '\u00a7164.310(d)(2)(i)',
        title: 'Disposal (Required)',
        text: 'Implement policies and procedures to address the final disposition of electronic protected health information, and/or the hardware or electronic media on which it is stored.',
        evidence: `${PROOFS} They document the final disposition of each ePHI record held in REPRAM's memory: which node disposed of it, and when.`,
        outOfScope: 'The written policies and procedures, and disposition of ePHI held elsewhere (client systems, backups, other media).'
      },
      {
        id: '\u00a7164.310(d)(2)(ii)',
        title: 'Media re-use (Required)',
        text: 'Implement procedures for removal of electronic protected health information from electronic media before the media are made available for re-use.',
        evidence: 'Nodes hold records in memory only and drop each record at its expiry; a proof states the node removed the record (its storage released to the process). Values should be ciphertext (SDK envelope), so memory not yet overwritten holds nothing readable without the key.',
        outOfScope: 'Sanitisation of the hosts\' disks, swap and memory before hardware is re-used or retired (NIST SP 800-88), which is outside REPRAM.'
      },
      {
        id: '\u00a7164.312(b)',
        title: 'Audit controls',
        text: 'Implement hardware, software, and/or procedural mechanisms that record and examine activity in information systems that contain or use electronic protected health information.',
        evidence: 'The monitor records every proof, every rejected proof, every gap in its coverage and every missed quorum in a database the organisation owns.',
        outOfScope: 'Audit of reads and writes of ePHI (who accessed what), which REPRAM nodes do not log by design.'
      }
    ]
  },
  'pci-dss': {
    id: 'pci-dss',
    name: 'PCI DSS',
    source: 'PCI DSS v4.0.1, Requirement 3 (Protect Stored Account Data)',
    controls: [
      {
        id: '3.2.1',
        title: 'Account data storage is kept to a minimum through implementation of data retention and disposal policies, procedures, and processes',
        text: 'Account data storage is kept to a minimum through implementation of data retention and disposal policies, procedures, and processes that include at least the following: \u2026 Limiting data storage amount and retention time to that which is required for legal or regulatory, and/or business requirements. \u2026 Processes for secure deletion or rendering account data unrecoverable when no longer needed per the retention policy. A process for verifying, at least once every three months, that stored account data exceeding the defined retention period has been securely deleted or rendered unrecoverable.',
        evidence: `${PROOFS} Run this report at least every three months over the period since the last one: it verifies that account data stored in REPRAM past its retention (its TTL) was deleted, node by node, and lists every write where that cannot be shown (missed quorum, gaps).`,
        outOfScope: 'The retention policy and its business justification, coverage of all other locations of stored account data, and sensitive authentication data held before authorization elsewhere.'
      },
      {
        id: '3.1',
        title: 'Processes and mechanisms for protecting stored account data are defined and understood',
        text: 'Processes and mechanisms for protecting stored account data are defined and understood.',
        evidence: 'The report states what a proof does and does not prove and how the quorum (k of n, deadline) is set, so the deletion mechanism is documented alongside its evidence.',
        outOfScope: 'Roles and responsibilities, and the documented security policies of Requirement 3.'
      }
    ]
  },
  soc2: {
    id: 'soc2',
    name: 'SOC 2',
    source: 'AICPA Trust Services Criteria (2017, revised points of focus 2022)',
    controls: [
      {
        id: 'CC6.5',
        title: 'Logical and physical access: disposal',
        text: 'The entity discontinues logical and physical protections over physical assets only after the ability to read or recover data and software from those assets has been diminished and is no longer required to meet the entity\u2019s objectives.',
        evidence: `${PROOFS} They show, per record, that the nodes removed the data when it was no longer required (its TTL), before any later decommissioning of those nodes.`,
        outOfScope: 'Decommissioning of the hosts themselves (disks, memory) and of any other asset that held the data.'
      },
      {
        id: 'C1.2',
        title: 'Confidentiality: disposal of confidential information',
        text: 'The entity disposes of confidential information to meet the entity\u2019s objectives related to confidentiality.',
        evidence: 'As for CC6.5; with k-of-n status and gaps per period, ready to sample for a Type 2 examination.',
        outOfScope: 'Identification and retention periods of confidential information outside REPRAM.'
      }
    ]
  }
}

/** The plain statement every report carries: what a proof does and does not prove. */
export const PROOF_LIMITS = {
  proves: [
    'A proof proves that the holder of the private key of node N signed the statement that, at deletedAt by N\u2019s clock, N removed its copy of write writeId of the key whose SHA-256 is keyHash, created at createdAt and due to expire at expiredAt.',
    'Proofs from k distinct node keys are k such statements: the cost of a false one grows with the number of independent operators behind those keys.',
    'Anyone can check a proof offline, without trusting the node that served it, the network, the monitor or REPRAM\u2019s code.'
  ],
  doesNotProve: [
    'That no other copy exists: clients, proxies, backups, heap dumps or another system may hold the value; a node cannot prove a negative.',
    'That the statement is true: a dishonest or compromised node can sign a proof and keep the data. Distinct node ids are not distinct operators unless you know who runs each key.',
    'That memory was overwritten: a node releases the record, but the bytes may stay in memory not yet reused (or in swap) until overwritten. Encrypt values client-side (the SDK envelope) and destroy the key, so such remnants are unreadable.',
    'Exact time: deletedAt is the node\u2019s clock, not a trusted timestamp.',
    'Anything about a write the monitor never saw, or about a period listed under gaps.'
  ]
} as const
