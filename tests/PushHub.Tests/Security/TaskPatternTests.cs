using PushHub.Security;

namespace PushHub.Tests.Security;

public sealed class TaskPatternTests
{
    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("build-*", "build-17", true)]
    [InlineData("build-*", "build-", true)]
    [InlineData("build-*", "builds", false)]
    [InlineData("build-17", "build-17", true)]
    [InlineData("build-17", "build-170", false)]
    [InlineData("Build-*", "build-1", false)]
    public void Matches(string pattern, string taskId, bool expected) => Assert.Equal(expected, TaskPattern.Matches(pattern, taskId));

    [Theory]
    [InlineData("*", "*", true)]
    [InlineData("*", "build-*", true)]
    [InlineData("build-*", "build-1*", true)]
    [InlineData("build-*", "build-1", true)]
    [InlineData("build-*", "bu*", false)]
    [InlineData("build-*", "*", false)]
    [InlineData("build-1", "build-1*", false)]
    public void A_token_may_only_narrow_the_callers_patterns(string own, string requested, bool expected) =>
        Assert.Equal(expected, TaskPattern.Covers(own, requested));

    [Theory]
    [InlineData("*", true)]
    [InlineData("build-*", true)]
    [InlineData("a", true)]
    [InlineData("", false)]
    [InlineData("**", false)]
    [InlineData("a*b", false)]
    [InlineData("-a*", false)]
    [InlineData("a/b", false)]
    public void IsValid(string pattern, bool expected) => Assert.Equal(expected, TaskPattern.IsValid(pattern));
}
