public import NimbusAgents

/// The ops agent's tools: the one place they are registered. A new tool is one file in `Ops/Tools` and one line
/// here (see docs/ops.md, "Adding a tool").
public enum OpsTools {
    /// Every ops tool, in the order models are shown them.
    public static let registry: ToolRegistry<OpsToolEnvironment> = {
        var registry = ToolRegistry<OpsToolEnvironment>()
        registry.register(STSCallerIdentity())
        registry.register(S3ListBuckets())
        registry.register(S3ListObjects())
        registry.register(S3ObjectInfo())
        registry.register(S3Upload())
        registry.register(S3Download())
        registry.register(S3Copy())
        registry.register(S3CreateBucket())
        registry.register(S3DeleteObjects())
        registry.register(S3DeleteBucket())
        registry.register(S3Presign())
        registry.register(EC2DescribeInstances())
        registry.register(EC2DescribeVPCs())
        registry.register(EC2DescribeSubnets())
        registry.register(EC2DescribeSecurityGroups())
        registry.register(EC2ChangeInstanceStates(.start))
        registry.register(EC2ChangeInstanceStates(.stop))
        registry.register(EC2ChangeInstanceStates(.terminate))
        registry.register(LambdaListFunctions())
        registry.register(LambdaGetConfiguration())
        registry.register(LambdaInvoke())
        registry.register(IAMListUsers())
        registry.register(IAMListRoles())
        registry.register(IAMListAttachedPolicies())
        registry.register(IAMGetPolicyDocument())
        registry.register(DynamoDBListTables())
        registry.register(DynamoDBDescribeTable())
        registry.register(DynamoDBGetItem())
        registry.register(DynamoDBQuery())
        registry.register(DynamoDBScan())
        registry.register(CloudFormationListStacks())
        registry.register(CloudFormationListStackResources())
        registry.register(LogsRecentEvents())
        registry.register(SQSListQueues())
        registry.register(AWSCall())
        return registry
    }()
}
