# syntax=docker/dockerfile:1
# Build: docker build -t pushhub .
# Run:   docker run -p 5080:5080 -v pushhub-data:/app/data pushhub
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props PushHub.sln ./
COPY src/PushHub/PushHub.csproj src/PushHub/
RUN dotnet restore src/PushHub/PushHub.csproj
COPY src/ src/
RUN dotnet publish src/PushHub/PushHub.csproj -c Release -o /out --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /out ./
COPY appsettings.json ./
COPY wwwroot/ ./wwwroot/
# Inside a container the hub must listen on every interface; the data lives in a volume.
ENV Urls=http://0.0.0.0:5080 \
    Storage__Path=/app/data/pushhub.db
RUN mkdir -p /app/data && chown "$APP_UID" /app/data
VOLUME ["/app/data"]
EXPOSE 5080
# The image has no HTTP client for a HEALTHCHECK; orchestrators probe GET /health/live and /health/ready.
USER $APP_UID
ENTRYPOINT ["dotnet", "PushHub.dll"]
