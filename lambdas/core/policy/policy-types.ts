import type { AgentIdentity } from '../agent-identity';
import type { RequestInfo } from '../request-info';
import type { AwsRequestInfo } from '../aws/aws-request-info';

/** What a policy rule (or a connection's default) decides. Precedence: deny > approve > allow. */
export type PolicyEffect = 'allow' | 'deny' | 'approve';

/** Effects from strongest to weakest; the order is the precedence. */
export const POLICY_EFFECTS: readonly PolicyEffect[] = ['deny', 'approve', 'allow'];

/** How a decoded request body should be read: a full object (no patchType) or a patch of some kind. */
export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/**
 * The request body as the policy sees it. A JSON patch arrives already converted to the sparse object of the
 * values it writes (see `decodeRequestBody`), so rules match patches and full objects the same way.
 */
export type BodyInput =
  | { readonly state: 'none' }
  | {
    readonly state: 'decoded';
    /** The object sent, or for a patch the sparse object of the values it writes (`undefined` if that cannot be told without the live object). */
    readonly value: unknown;
    readonly patchType?: PatchType;
    /** For patches: the decoded patch document itself (JSON patch operations, or the patch object). */
    readonly patch?: unknown;
  }
  | { readonly state: 'undecodable'; readonly contentType: string };

/** Everything `evaluatePolicy` looks at. */
export interface PolicyInput {
  readonly identity: AgentIdentity;
  /** Connection name the request came through. */
  readonly connection: string;
  readonly request: RequestInfo;
  readonly body: BodyInput;
  /** Labels of `request.namespace`, when the proxy knows them. Rules on namespace labels never match without them. */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /**
   * The object as the API server would store it after this request: the body of a create or update, or the
   * live object with the patch applied (see `policyNeeds`). `null`: there is none (the object does not exist).
   * Left out, rules judge the body itself (a patch by the values it writes), as `policy test` does on records.
   */
  readonly object?: unknown;
  /** The live object before the request, when the proxy read it. */
  readonly oldObject?: unknown;
  /** The request's Namespace object, when the proxy read it (`null`: no such namespace, or no namespace). */
  readonly namespaceObject?: unknown;
  /**
   * The query string (raw, or as `URLSearchParams.toString()` wrote it), for CEL's `request.dryRun` and for the
   * exec and port-forward conditions (`command`, `container`, `tty`, `stdin`, `ports`).
   */
  readonly query?: string;
  /**
   * An AWS call (`/aws/<connection>`): rules with `match.aws` and identity-only rules judge it; rules about
   * Kubernetes requests never match it. `request` is then its approval shape (verb = action), not read by rules.
   */
  readonly aws?: AwsRequestInfo;
}

/**
 * Why a decision was reached: a rule matched, nothing matched and the connection default applied, or a rule
 * needed to read a body that cannot be decoded (the proxy answers 415, see `policyDecisionError`).
 */
export type PolicyDecisionReason = 'rule' | 'default' | 'undecodable-body' | 'unknown-action';

/** The outcome of one evaluation. */
export interface PolicyDecision {
  readonly effect: PolicyEffect;
  readonly reason: PolicyDecisionReason;
  /** The rule that decided, `default` when none matched. */
  readonly ruleId: string;
  /** Text for the person reading kubectl's output (the rule's `message`, or a generated one). */
  readonly message: string;
  /** True when a matching non-deny rule carries `unmaskSecrets: true` and the decision is not deny. */
  readonly unmaskSecrets: boolean;
  /** Every rule that matched, in policy order (for the record and `policy test`). */
  readonly matchedRuleIds: readonly string[];
  /** CEL conditions that could not be evaluated (`<rule id>: <error>`); a deny or approve rule then applies (fail closed). */
  readonly celErrors?: readonly string[];
}

/** A policy or pack file handed to `compilePolicy`. `text` is YAML (JSON is accepted, being YAML). */
export interface PolicySource {
  /** File name or other label used in error messages. */
  readonly source: string;
  readonly text: string;
}

/** Body conditions of a rule; every condition given must hold. */
export interface PolicyBodySpec {
  /** A container, init container or ephemeral container with `securityContext.privileged: true`. */
  readonly privileged?: true;
  /** A `hostPath` volume. */
  readonly hostPath?: true;
  /** `hostNetwork`, `hostPID` or `hostIPC` set to true. */
  readonly hostNamespaces?: true;
  /** A (Cluster)RoleBinding whose `roleRef.name` matches one of these globs. */
  readonly roleRef?: readonly string[];
  /** A Role/ClusterRole rule granting `*` verbs on `*` resources. */
  readonly rbacWildcard?: true;
  /** A Role/ClusterRole rule granting one of these verbs (e.g. escalate, bind, impersonate). */
  readonly rbacVerbs?: readonly string[];
  /** Generic field conditions. */
  readonly fields?: readonly PolicyFieldSpec[];
}

/** One generic body field condition: a path (from the body root or from each pod spec) and what it must hold. */
export interface PolicyFieldSpec {
  readonly path?: string;
  readonly podSpecPath?: string;
  /** Any reached value equal to one of these (strings are globs). */
  readonly values?: readonly (string | number | boolean)[];
  /** Any reached value present (not null). */
  readonly exists?: true;
}

/**
 * Conditions on an exec or attach session, read from the request's query as the server decodes PodExecOptions
 * (and PodAttachOptions). Every key given must hold.
 */
export interface PolicyExecSpec {
  /** Globs over the command's argv joined by single spaces (white-space runs count as one space). Exec only. */
  readonly commands?: readonly string[];
  /** Globs over the container the request names; '' when it names none (the server then picks the default container). */
  readonly containers?: readonly string[];
  /** The server's reading of `tty` (`tty=`, `tty=1` are true; absent, `0`, `false` are false). */
  readonly tty?: boolean;
  /** The server's reading of `stdin`, as for `tty`. */
  readonly stdin?: boolean;
}

/** A port-forward port condition entry: a port (1-65535) or an inclusive range written "low-high". */
export type PolicyPortSpec = number | string;

/**
 * Conditions on an AWS call (`match.aws`). Every key given must hold; within a list any entry may match.
 * A rule with `aws` never matches a kubectl request, and cannot name Kubernetes keys (verbs, resources, ...).
 */
export interface PolicyAwsSpec {
  /** Globs over the service signing name (`s3`, `dynamodb`). */
  readonly services?: readonly string[];
  /** Globs over the IAM action, `<service>:<Action>` (`s3:Delete*`), matched case-insensitively as IAM does. */
  readonly actions?: readonly string[];
  /**
   * Globs over the resource ARNs the call touches (`*` spans `/` and `:`). A deny or approve rule matches when any
   * resource matches; an allow rule only when every one does (and there is one).
   */
  readonly resources?: readonly string[];
  /** Matches calls whose action Gatehouse cannot name: only an allow rule with this lets such a call through. */
  readonly unknownActions?: true;
  /** Field conditions over the call's decoded parameters (its JSON body, query parameters, S3 route labels). */
  readonly fields?: readonly PolicyFieldSpec[];
}

/** What a rule matches on. Every key given must match; within a list any entry may match. */
export interface PolicyMatchSpec {
  readonly agents?: readonly string[];
  readonly issuers?: readonly string[];
  readonly groups?: readonly string[];
  readonly claims?: Readonly<Record<string, readonly string[]>>;
  readonly connections?: readonly string[];
  readonly verbs?: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly subresources?: readonly string[];
  readonly namespaces?: readonly string[];
  readonly namespaceLabels?: Readonly<Record<string, readonly string[]>>;
  readonly names?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
  readonly body?: PolicyBodySpec;
  /** CEL conditions (ValidatingAdmissionPolicy's variables, see docs/POLICY.md); all must be true. */
  readonly cel?: readonly string[];
  /** exec/attach session conditions (see {@link PolicyExecSpec}). */
  readonly exec?: PolicyExecSpec;
  /** port-forward: the pod port(s) of the connection, from the `ports` query values; any entry may match. */
  readonly ports?: readonly PolicyPortSpec[];
  /** AWS calls (see {@link PolicyAwsSpec}). */
  readonly aws?: PolicyAwsSpec;
}

/** A validated rule, in the normalized form (every list is a list). */
export interface PolicyRuleSpec {
  readonly id: string;
  readonly effect: PolicyEffect;
  readonly description?: string;
  readonly message?: string;
  readonly unmaskSecrets?: boolean;
  readonly match: PolicyMatchSpec;
  readonly except?: readonly PolicyMatchSpec[];
}

/**
 * A whole validated policy with packs expanded and `disable` applied. It is itself a valid policy file, so
 * `compilePolicy([{ source, text: JSON.stringify(document) }])` rebuilds the same policy (this is what the Lambda gets).
 */
export interface PolicyDocument {
  readonly apiVersion: 'gatehouse.dev/v1';
  readonly kind: 'Policy';
  readonly defaults: Readonly<Record<string, PolicyEffect>>;
  readonly rules: readonly PolicyRuleSpec[];
}
