using System.Net.Sockets;
using PushHub.Tests.Infrastructure;

namespace PushHub.Tests.Storage.Redis;

/// <summary>The Redis fixture the Redis provider's spec suites and drills will stand on: a real server, cleaned up.</summary>
public sealed class RedisServerTests
{
    [RedisFact]
    public async Task Starts_a_real_server_that_keeps_what_it_is_told_and_stops_on_dispose()
    {
        var server = await RedisServer.StartAsync();
        try
        {
            Assert.Equal("+OK\r\n", await server.CommandAsync("SET", "pushhub:probe", "héllo"));
            Assert.Equal("$6\r\nhéllo\r\n", await server.CommandAsync("GET", "pushhub:probe"));
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.True(server.Stopped);
        await Assert.ThrowsAsync<SocketException>(() => server.CommandAsync("PING"));
    }
}
