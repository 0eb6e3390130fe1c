import NimbusHCL

extension ServiceFamily {
    /// An ECS Fargate service in private subnets: its own cluster with Container Insights, separate execution
    /// and task roles, a read-only root filesystem, encrypted logs and deployments that roll back; optionally
    /// behind a load balancer's target group and autoscaled.
    public static let ecsFargate = ServiceFamily(
        id: "ecs-fargate",
        title: "ECS Fargate service",
        summary:
            "ECS Fargate service in private subnets with Container Insights, separate execution and task roles, read-only root filesystem, encrypted logs and rollback on failed deployments; optional load balancer and autoscaling",
        keywords: [
            "ecs", "fargate", "ecs fargate", "container", "containers", "docker", "container service", "ecs service",
            "fargate service", "ecs fargate service",
        ],
        features: [
            FamilyFeature(
                id: "private-networking", title: "private networking (no public address)",
                keywords: ["private", "private subnet", "awsvpc", "vpc"], enabledByDefault: true),
            FamilyFeature(
                id: "logging", title: "encrypted logs", keywords: ["logging", "logs", "log"], enabledByDefault: true),
            FamilyFeature(
                id: "container-insights", title: "Container Insights",
                keywords: ["container insights", "monitoring", "metrics"], enabledByDefault: true),
            FamilyFeature(
                id: "read-only-root", title: "read-only root filesystem",
                keywords: ["read-only root", "read-only", "readonly", "immutable"], enabledByDefault: true),
            FamilyFeature(
                id: "load-balancer", title: "a load balancer target group",
                keywords: ["load balancer", "load-balanced", "alb", "target group", "behind a load balancer"]),
            FamilyFeature(
                id: "autoscaling", title: "CPU-based autoscaling",
                keywords: ["autoscaling", "auto scaling", "auto-scaling", "autoscaled", "scaling", "scale"]),
        ],
        plan: ECSFargatePlan.make)
}

/// The plan behind ``ServiceFamily/ecsFargate``.
enum ECSFargatePlan {
    static func make(_ requirements: ModuleRequirements) throws -> ModulePlan {
        typealias P = FamilyParts
        let loadBalancer = requirements.has("load-balancer")
        let autoscaling = requirements.has("autoscaling")

        let container = HCLExpression.object([
            ("name", try P.ref("var.name")),
            ("image", try P.ref("var.container_image")),
            ("essential", .bool(true)),
            ("readonlyRootFilesystem", .bool(true)),
            ("privileged", .bool(false)),
            (
                "portMappings",
                .list([.object([("containerPort", try P.ref("var.container_port")), ("protocol", .string("tcp"))])])
            ),
            (
                "environment",
                try .forList(
                    "value", key: "name", in: P.ref("var.environment"),
                    yield: .object([("name", try P.ref("name")), ("value", try P.ref("value"))]))
            ),
            (
                "logConfiguration",
                .object([
                    ("logDriver", .string("awslogs")),
                    (
                        "options",
                        .object([
                            ("awslogs-group", try P.ref("aws_cloudwatch_log_group.this.name")),
                            ("awslogs-region", try P.ref("data.aws_region.current.name")),
                            ("awslogs-stream-prefix", try P.ref("var.name")),
                        ])
                    ),
                ])
            ),
        ])

        var resources: [Block] = [
            try P.kmsKey(
                description: .template("Encryption of ECS service ", .value(P.ref("var.name"))),
                serviceStatements: [try P.logsUseStatement()]),
            try P.logGroup("this", name: .template("/ecs/", .value(P.ref("var.name")))),
            try Block("resource", "aws_ecs_cluster", "this") {
                try Attribute("name", P.ref("var.name"))
                try Block("setting") {
                    try Attribute("name", .string("containerInsights"))
                    try Attribute("value", .string("enabled"))
                }
                try Block(
                    "configuration",
                    comments: [
                        "Execute command stays off on the service; if it is ever turned on, sessions are encrypted and logged."
                    ]
                ) {
                    try Block("execute_command_configuration") {
                        try Attribute("kms_key_id", P.ref("local.kms_key_arn"))
                        try Attribute("logging", .string("OVERRIDE"))
                        try Block("log_configuration") {
                            try Attribute("cloud_watch_encryption_enabled", .bool(true))
                            try Attribute("cloud_watch_log_group_name", P.ref("aws_cloudwatch_log_group.this.name"))
                        }
                    }
                }
                try Attribute("tags", P.ref("local.tags"))
            },
            try P.serviceRole("execution", suffix: "execution", trust: "tasks_assume"),
            try P.managedPolicyAttachment(
                "execution", role: "execution", policy: "service-role/AmazonECSTaskExecutionRolePolicy"),
            try Block(
                "resource", "aws_iam_role", "task",
                comments: [
                    "What the application may do; it starts with nothing. Attach policies to the role_name output."
                ]
            ) {
                try Attribute("name", .template(.value(P.ref("var.name")), "-task"))
                try Attribute("assume_role_policy", P.ref("data.aws_iam_policy_document.tasks_assume.json"))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_ecs_task_definition", "this") {
                try Attribute("family", P.ref("var.name"))
                try Attribute("requires_compatibilities", P.strings(["FARGATE"]))
                try Attribute("network_mode", .string("awsvpc"))
                try Attribute("cpu", P.ref("var.cpu"))
                try Attribute("memory", P.ref("var.memory"))
                try Attribute("execution_role_arn", P.ref("aws_iam_role.execution.arn"))
                try Attribute("task_role_arn", P.ref("aws_iam_role.task.arn"))
                try Block("runtime_platform") {
                    try Attribute("operating_system_family", .string("LINUX"))
                    try Attribute("cpu_architecture", P.ref("var.cpu_architecture"))
                }
                try Attribute("container_definitions", .call("jsonencode", .list([container])))
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block(
                "resource", "aws_security_group", "this",
                comments: ["Only the given security groups reach the container port; the tasks send only HTTPS."]
            ) {
                try Attribute("name", .template(.value(P.ref("var.name")), "-service"))
                try Attribute("description", .template("ECS service ", .value(P.ref("var.name"))))
                try Attribute("vpc_id", P.ref("var.vpc_id"))
                try Block("ingress") {
                    try Attribute("description", .string("Clients of the service"))
                    try Attribute("from_port", P.ref("var.container_port"))
                    try Attribute("to_port", P.ref("var.container_port"))
                    try Attribute("protocol", .string("tcp"))
                    try Attribute("security_groups", P.ref("var.allowed_security_group_ids"))
                }
                try P.httpsEgress("HTTPS out (image registry, AWS APIs)")
                try Attribute("tags", P.ref("local.tags"))
            },
            try Block("resource", "aws_ecs_service", "this") {
                try Attribute("name", P.ref("var.name"))
                try Attribute("cluster", P.ref("aws_ecs_cluster.this.id"))
                try Attribute("task_definition", P.ref("aws_ecs_task_definition.this.arn"))
                try Attribute("desired_count", P.ref("var.desired_count"))
                try Attribute("launch_type", .string("FARGATE"))
                try Attribute("platform_version", .string("LATEST"))
                try Attribute("enable_execute_command", .bool(false))
                try Attribute("enable_ecs_managed_tags", .bool(true))
                try Attribute("propagate_tags", .string("SERVICE"))
                try Block("deployment_circuit_breaker") {
                    try Attribute("enable", .bool(true))
                    try Attribute("rollback", .bool(true))
                }
                try Block("network_configuration") {
                    try Attribute("subnets", P.ref("var.subnet_ids"))
                    try Attribute("security_groups", .list([try P.ref("aws_security_group.this.id")]))
                    try Attribute("assign_public_ip", .bool(false))
                }
                if loadBalancer {
                    try Block("load_balancer") {
                        try Attribute("target_group_arn", P.ref("var.target_group_arn"))
                        try Attribute("container_name", P.ref("var.name"))
                        try Attribute("container_port", P.ref("var.container_port"))
                    }
                }
                if autoscaling {
                    try Block("lifecycle", comments: ["Autoscaling owns the count once the service exists."]) {
                        try Attribute("ignore_changes", .list([try P.ref("desired_count")]))
                    }
                }
                try Attribute("tags", P.ref("local.tags"))
            },
        ]
        if autoscaling {
            resources += [
                try Block("resource", "aws_appautoscaling_target", "this") {
                    try Attribute("service_namespace", .string("ecs"))
                    try Attribute(
                        "resource_id",
                        .template(
                            "service/", .value(try P.ref("aws_ecs_cluster.this.name")), "/",
                            .value(try P.ref("aws_ecs_service.this.name"))))
                    try Attribute("scalable_dimension", .string("ecs:service:DesiredCount"))
                    try Attribute("min_capacity", P.ref("var.min_capacity"))
                    try Attribute("max_capacity", P.ref("var.max_capacity"))
                },
                try Block("resource", "aws_appautoscaling_policy", "cpu") {
                    try Attribute("name", .template(.value(try P.ref("var.name")), "-cpu"))
                    try Attribute("policy_type", .string("TargetTrackingScaling"))
                    try Attribute("service_namespace", P.ref("aws_appautoscaling_target.this.service_namespace"))
                    try Attribute("resource_id", P.ref("aws_appautoscaling_target.this.resource_id"))
                    try Attribute("scalable_dimension", P.ref("aws_appautoscaling_target.this.scalable_dimension"))
                    try Block("target_tracking_scaling_policy_configuration") {
                        try Attribute("target_value", P.ref("var.target_cpu_utilization"))
                        try Block("predefined_metric_specification") {
                            try Attribute("predefined_metric_type", .string("ECSServiceAverageCPUUtilization"))
                        }
                    }
                },
            ]
        }

        var variables: [VariableSpec] = [
            try P.nameVariable(
                description: "Name of the cluster, service, task family and their roles.",
                pattern: "^[a-z][a-z0-9-]{0,47}$",
                rule: "1-48 lower-case letters, digits and hyphens, starting with a letter"),
            VariableSpec(
                "container_image", type: "string",
                description: "Image of the container, pinned by tag or digest (not :latest).",
                validations: [
                    (
                        .binary(
                            .and,
                            .unary(.not, try .call("endswith", P.ref("var.container_image"), .string(":latest"))),
                            try .call("can", .call("regex", .string("[:@]"), P.ref("var.container_image")))),
                        "container_image must be pinned by a tag other than latest, or by a digest."
                    )
                ]),
            try P.numberVariable(
                "container_port", description: "Port the container listens on.", default: 8080, minimum: 1,
                maximum: 65535),
            try P.choiceVariable(
                "cpu", description: "CPU units of a task.", default: "256",
                choices: ["256", "512", "1024", "2048", "4096"]),
            try P.numberVariable(
                "memory", description: "Memory of a task in MiB (must suit the CPU).", default: 512, minimum: 512,
                maximum: 30720),
            try P.choiceVariable(
                "cpu_architecture", description: "CPU architecture of the image.", default: "X86_64",
                choices: ["X86_64", "ARM64"]),
            try P.numberVariable("desired_count", description: "Tasks to run.", default: 2, minimum: 1),
            VariableSpec(
                "environment", type: "map(string)",
                description: "Plain environment variables; never secrets (read those from Secrets Manager).",
                default: .object([(String, HCLExpression)]())),
            VariableSpec(
                "allowed_security_group_ids", type: "list(string)",
                description: "Security groups (a load balancer's) that may reach the container port.",
                default: .list([])),
            P.egressVariable("Where tasks may open HTTPS connections (the image registry, AWS APIs)."),
        ]
        variables += try P.networkVariables()
        variables += [
            try P.kmsKeyVariable("the logs and execute-command sessions"), try P.logRetentionVariable(),
            P.tagsVariable(),
        ]
        if loadBalancer {
            variables.append(
                VariableSpec(
                    "target_group_arn", type: "string",
                    description: "Target group (of type ip) the tasks register with.",
                    validations: [
                        (
                            try .call(
                                "can",
                                .call(
                                    "regex", .string("^arn:aws[a-z-]*:elasticloadbalancing:"),
                                    P.ref("var.target_group_arn"))),
                            "target_group_arn must be a target group ARN."
                        )
                    ]))
        }
        if autoscaling {
            variables += [
                try P.numberVariable("min_capacity", description: "Fewest tasks.", default: 2, minimum: 1),
                try P.numberVariable("max_capacity", description: "Most tasks.", default: 10, minimum: 1),
                try P.numberVariable(
                    "target_cpu_utilization", description: "Average CPU utilisation autoscaling aims for, in percent.",
                    default: 60, minimum: 10, maximum: 90),
            ]
        }

        let outputs: [OutputSpec] = [
            OutputSpec("cluster_arn", description: "ARN of the cluster.", value: try P.ref("aws_ecs_cluster.this.arn")),
            OutputSpec(
                "service_name", description: "Name of the service.", value: try P.ref("aws_ecs_service.this.name")),
            OutputSpec(
                "task_role_name", description: "Role of the application, for attaching the permissions it needs.",
                value: try P.ref("aws_iam_role.task.name")),
            OutputSpec(
                "security_group_id", description: "Security group of the tasks.",
                value: try P.ref("aws_security_group.this.id")),
            OutputSpec(
                "log_group_name", description: "Log group of the containers.",
                value: try P.ref("aws_cloudwatch_log_group.this.name")),
        ]

        var notes = [
            "Tasks run in private subnets without public addresses; only `allowed_security_group_ids` reach the container port and tasks send only HTTPS.",
            "The root filesystem is read-only and the container is not privileged.",
            "Separate roles: the execution role pulls the image and writes logs; the task role starts with no permissions.",
            "Logs go to a log group encrypted with KMS (a new key with yearly rotation unless `kms_key_arn` is given), kept `log_retention_days`.",
            "Container Insights is on; failed deployments roll back; the latest Fargate platform is used.",
            "The image must be pinned (a tag other than latest, or a digest).",
        ]
        if loadBalancer { notes.append("Tasks register with `target_group_arn`.") }
        if autoscaling {
            notes.append("Between `min_capacity` and `max_capacity` tasks, aiming at `target_cpu_utilization`.")
        }

        var example: [(name: String, value: HCLExpression)] = [
            ("name", .string(requirements.name)),
            ("container_image", .string("111122223333.dkr.ecr.eu-west-1.amazonaws.com/app:1.0.0")), P.exampleVPC,
            P.exampleSubnets,
        ]
        if loadBalancer {
            example.append(
                (
                    "target_group_arn",
                    .string("arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/app/0123456789abcdef")
                ))
        }

        return ModulePlan(
            resources: resources, variables: variables, locals: [try P.tagsLocal(requirements), try P.kmsKeyLocal()],
            dataSources: try P.commonDataSources() + [
                try P.assumeRoleDocument("tasks_assume", services: ["ecs-tasks.amazonaws.com"], onlyThisAccount: true)
            ],
            outputs: outputs, exampleInputs: example, securityNotes: notes, optOuts: [])
    }
}
