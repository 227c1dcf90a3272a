"""The alarms of one region: what needs a person even while the region still answers.

Route 53 already moves traffic away from a region that stops answering; these cover what
health checks cannot see: the API failing some requests, the best-seller stream falling
behind (Redis down: the board stops counting, retries hold the records), and the stream
giving a batch up (its pointer in the failure queue, to be read before the stream trims
it). Each alarm notifies one SNS topic per region; `alarmEmail` subscribes an address.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

# The API's share of failed requests that is worth a page: a few in a row, not one.
API_5XX_PER_MINUTE = 5
# The Orders stream read this far behind means the board is stale (Redis down or failing).
STREAM_LAG_MS = 5 * 60 * 1000


@dataclass(frozen=True)
class AlarmTargets:
    region: str
    label: str
    """Names the alarms (`<label>-api-5xx`, ...): the component's name."""
    api_id: pulumi.Input[str]
    stage: str
    stream_function_name: pulumi.Input[str]
    stream_failure_queue_name: pulumi.Input[str]
    email: str | None = None


class RegionAlarms:
    """The topic and the alarms; built inside a component (`opts` carries its parent)."""

    def __init__(self, targets: AlarmTargets, opts: pulumi.ResourceOptions) -> None:
        t = targets
        # Not encrypted: CloudWatch cannot publish to a topic under the AWS-managed SNS key,
        # and an alarm carries no customer data (a customer-managed key would, at a cost).
        self.topic = aws.sns.Topic(f"{t.label}-alarms", region=t.region, opts=opts)
        if t.email:
            aws.sns.TopicSubscription(
                f"{t.label}-alarms-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=t.email,
                region=t.region,
                opts=opts,
            )
        actions = [self.topic.arn]
        # No data is no traffic (no request, no stream batch behind), not a problem, except
        # for the failure queue (below).

        def alarm(
            kind: str,
            description: str,
            *,
            namespace: str,
            metric: str,
            dimensions: dict[str, pulumi.Input[str]],
            statistic: str,
            threshold: float,
            period: int,
            periods: int,
            datapoints: int | None = None,
            missing: str = "notBreaching",
        ) -> aws.cloudwatch.MetricAlarm:
            return aws.cloudwatch.MetricAlarm(
                f"{t.label}-{kind}",
                alarm_description=description,
                namespace=namespace,
                metric_name=metric,
                dimensions=dimensions,
                statistic=statistic,
                period=period,
                evaluation_periods=periods,
                datapoints_to_alarm=datapoints,
                threshold=threshold,
                comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data=missing,
                alarm_actions=actions,
                ok_actions=actions,
                region=t.region,
                opts=opts,
            )

        self.api_5xx = alarm(
            "api-5xx",
            f"The bookstore API in {t.region} answered {API_5XX_PER_MINUTE} or more 5xx a"
            " minute in 3 of the last 5 minutes (function errors or timeouts, DynamoDB"
            " failing).",
            namespace="AWS/ApiGateway",
            metric="5xx",
            dimensions={"ApiId": t.api_id, "Stage": t.stage},
            statistic="Sum",
            threshold=API_5XX_PER_MINUTE,
            period=60,
            periods=5,
            datapoints=3,
        )
        self.stream_lag = alarm(
            "stream-lag",
            f"The Orders stream in {t.region} is read more than 5 minutes behind: the best"
            " sellers stop counting (is the region's Valkey down?). Records wait, none lost"
            " within 23 h.",
            namespace="AWS/Lambda",
            metric="IteratorAge",
            dimensions={"FunctionName": t.stream_function_name},
            statistic="Maximum",
            threshold=STREAM_LAG_MS,
            period=60,
            periods=5,
        )
        self.stream_failures = alarm(
            "stream-failures",
            f"The Orders stream in {t.region} gave a batch up: its shard and sequence numbers"
            " are in the failure queue. Read the records before the stream trims them (24 h"
            " after they were written), or let the board rebuild from Orders.",
            namespace="AWS/SQS",
            metric="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": t.stream_failure_queue_name},
            statistic="Maximum",
            threshold=1,
            period=300,
            periods=1,
            # SQS stops sending the metric for a queue nobody touches (after about 6 h), even
            # with a message in it: no data must keep the alarm as it is, not clear it.
            missing="ignore",
        )
