// The bare Kestrel endpoint: the smallest ASP.NET Core app that takes a POST, reads its body, and answers 202 with
// nothing else: no routing, authentication, validation, storage or request logging, logging at Warning and no
// Serilog, as PushHub runs in the benchmark. Its publishing rate is the platform's own limit on a machine, the
// reference for PushHub's "≥ 0.6× the bare endpoint" target (DESIGN.md, Performance targets).
//   dotnet bench/PushHub.BareKestrel/bin/Release/net10.0/PushHub.BareKestrel.dll --urls http://127.0.0.1:5397
namespace PushHub.BareKestrel;

/// <summary>
/// An explicit entry point rather than top-level statements: .NET 10 makes a web app's top-level <c>Program</c>
/// public, and the tests, which reference this app and PushHub, would then see two <c>Program</c> types.
/// </summary>
internal static class BareEndpoint
{
    public static void Main(string[] args)
    {
        // Its own folder as content root: it must not pick up the repository's appsettings.json when run from there.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.Run(AnswerAsync);
        app.Run();
    }

    private static async Task AnswerAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        // Read the body as the hub must, without copying it anywhere.
        var body = context.Request.BodyReader;
        while (true)
        {
            var read = await body.ReadAsync(context.RequestAborted);
            body.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }
}
